import type { AgentDefinition, AgentInput } from '../../core/agent.ts';
import { deriveComponents, deriveEndpoints } from '../architecture/agents.ts';
import { ApiSpec, ArchitectureSpec } from '../architecture/schemas.ts';
import { type Dependency, TechStack } from '../ideation/schemas.ts';
import { storiesOf } from '../prd/derive.ts';
import { UserStories } from '../prd/schemas.ts';
import { readArtifact } from '../shared/artifacts.ts';
import { defineAgent } from '../shared/define.ts';
import { type IdeaProfile, profileIdea } from '../shared/profile.ts';
import { seeded } from '../shared/seed.ts';
import { generateApp } from './app/generate.ts';
import { appSpecFrom } from './app/spec.ts';
import { BuildPlan, CiPipeline, RepoScaffold, SourceTree } from './schemas.ts';

const UPSTREAM = [
  'TechStack',
  'PRD',
  'UserStories',
  'NFRs',
  'ArchitectureSpec',
  'ApiSpec',
  'DataModel',
  'ADRs',
];

const FALLBACK_DEPENDENCIES: Dependency[] = [
  { name: 'hono', version: '4.9.8', license: 'MIT', purpose: 'HTTP API', scope: 'runtime' },
  { name: 'zod', version: '4.1.11', license: 'MIT', purpose: 'input validation', scope: 'runtime' },
  { name: 'pg', version: '8.16.3', license: 'MIT', purpose: 'PostgreSQL client', scope: 'runtime' },
];

export function dependenciesOf(input: AgentInput): Dependency[] {
  return readArtifact(input, 'TechStack', TechStack)?.dependencies ?? FALLBACK_DEPENDENCIES;
}

function packageJson(p: IdeaProfile, deps: readonly Dependency[]): string {
  const pick = (scope: Dependency['scope']) =>
    Object.fromEntries(deps.filter((d) => d.scope === scope).map((d) => [d.name, d.version]));
  return JSON.stringify(
    {
      name: p.slug,
      private: true,
      type: 'module',
      dependencies: pick('runtime'),
      devDependencies: pick('dev'),
    },
    null,
    2,
  );
}

function dockerfile(p: IdeaProfile): string {
  return [
    'FROM node:24-slim',
    `LABEL org.opencontainers.image.title="${p.title}"`,
    'WORKDIR /app',
    'COPY package.json package-lock.json ./',
    'RUN npm ci --omit=dev',
    'COPY dist ./dist',
    'USER node',
    'HEALTHCHECK CMD node dist/healthcheck.js',
    'CMD ["node", "dist/server.js"]',
  ].join('\n');
}

function terraform(p: IdeaProfile): string {
  const name = p.slug.replace(/-/g, '_');
  return [
    `resource "aws_db_instance" "${name}" {`,
    '  engine              = "postgres"',
    `  db_name             = "${name}"`,
    '  storage_encrypted   = true',
    '  publicly_accessible = false',
    '  deletion_protection = true',
    '}',
    `resource "aws_s3_bucket_public_access_block" "${name}_uploads" {`,
    '  block_public_acls   = true',
    '  block_public_policy = true',
    '}',
  ].join('\n');
}

export const scaffolder = defineAgent({
  id: 'build.scaffolder',
  purpose: 'Scaffold the repository: layout, manifests, container and infrastructure files, scripts.',
  reads: UPSTREAM,
  produces: 'RepoScaffold',
  tools: ['repo-scaffold'],
  role: 'You are a senior engineer setting up a new repository so that the first feature can ship on day one, securely by default.',
  task: 'Scaffold the repository for the idea: one folder per module, manifests, Dockerfile, infrastructure and CI files.',
  rules: [
    'Never put real secrets in files; use `.env.example` with placeholders.',
    'Containers run as a non-root user.',
  ],
  outputSchema: RepoScaffold,
  offline(input) {
    const p = profileIdea(input.idea);
    const deps = dependenciesOf(input);
    return {
      repository: p.slug,
      language: 'TypeScript',
      files: [
        { path: 'package.json', purpose: 'Manifest with pinned dependencies', content: packageJson(p, deps) },
        {
          path: '.env.example',
          purpose: 'Configuration keys with placeholders',
          content:
            'DATABASE_URL=postgres://localhost:5432/app\nOIDC_ISSUER=https://id.example.com\nSESSION_SECRET=<set-in-secret-manager>',
        },
        { path: 'Dockerfile', purpose: 'Production image', content: dockerfile(p) },
        { path: 'infra/main.tf', purpose: 'Database and storage', content: terraform(p) },
        { path: '.github/workflows/ci.yml', purpose: 'CI pipeline (see CiPipeline)' },
        ...p.features.map((f) => ({ path: `src/modules/${f.key}/index.ts`, purpose: `${f.name} module` })),
        { path: 'src/server.ts', purpose: 'HTTP entry point' },
        { path: 'migrations/0001_init.sql', purpose: `Tables for ${p.entities.slice(0, 4).join(', ')}` },
      ],
      scripts: { build: 'tsc -p .', test: 'vitest run', lint: 'biome check .', start: 'node dist/server.js' },
    };
  },
});

export const buildPlanner = defineAgent({
  id: 'build.build-planner',
  purpose:
    'Build plan: modules with tasks and estimates, every user story assigned, milestones, dependencies.',
  reads: UPSTREAM,
  produces: 'BuildPlan',
  role: 'You are an engineering manager. You break the architecture into modules a developer can finish in days, and no story is left unassigned.',
  task: 'Plan the build of the idea: assign every user story to a module, with tasks and estimates.',
  rules: [
    'Every user story id appears in at least one module.',
    'Module ids match architecture component ids where they exist.',
  ],
  outputSchema: BuildPlan,
  offline(input) {
    const p = profileIdea(input.idea);
    const rng = seeded(p.fingerprint, 'build-plan');
    const components =
      readArtifact(input, 'ArchitectureSpec', ArchitectureSpec)?.components ?? deriveComponents(p);
    const endpoints =
      readArtifact(input, 'ApiSpec', ApiSpec)?.endpoints ?? deriveEndpoints(input, p, p.features);
    const stories = storiesOf(input, p);
    const modules = components
      .filter((c) => c.kind === 'module')
      .map((c) => {
        const served = endpoints.filter((e) => e.componentId === c.id).flatMap((e) => e.storyIds);
        return {
          id: `build-${c.id}`,
          componentId: c.id,
          name: c.name,
          storyIds: stories.filter((s) => served.includes(s.id)).map((s) => s.id),
          tasks: [
            'Schema and migration',
            'API handlers with validation',
            'UI screens',
            'Tests from acceptance criteria',
          ],
          estimateDays: rng.int(c.id, 2, 6),
        };
      });
    const assigned = new Set(modules.flatMap((m) => m.storyIds));
    const orphans = stories.filter((s) => !assigned.has(s.id)).map((s) => s.id);
    if (orphans.length > 0 && modules[0] !== undefined) modules[0].storyIds.push(...orphans);
    return {
      modules,
      dependencies: dependenciesOf(input),
      milestones: [
        { name: 'Walking skeleton', moduleIds: modules.slice(0, 1).map((m) => m.id) },
        { name: 'Feature complete', moduleIds: modules.map((m) => m.id) },
      ],
    };
  },
});

export const ciDesigner = defineAgent({
  id: 'build.ci-designer',
  purpose: 'CI pipeline: ordered stages with jobs, which stages block a merge.',
  reads: [...UPSTREAM, 'RepoScaffold', 'BuildPlan'],
  produces: 'CiPipeline',
  tools: ['ci-lint'],
  role: 'You are a DevOps engineer. Your pipeline is fast, fails early and runs the security scans on every change.',
  task: 'Design the CI pipeline for the repository of the idea.',
  rules: ['Stages in execution order; lint, test and security scans block merges.'],
  outputSchema: CiPipeline,
  offline(input) {
    const p = profileIdea(input.idea);
    const stages = [
      { name: 'install', jobs: ['npm ci with lockfile verification'], blocking: true },
      { name: 'lint', jobs: ['biome check', 'tsc --noEmit'], blocking: true },
      {
        name: 'test',
        jobs: ['unit tests', ...p.features.map((f) => `integration tests: ${f.key} module`)],
        blocking: true,
      },
      { name: 'security', jobs: ['secret scan', 'dependency audit', 'SAST', 'SBOM'], blocking: true },
      { name: 'build', jobs: ['docker build', 'image scan'], blocking: true },
      {
        name: 'preview',
        jobs: ['deploy preview environment', `smoke e2e: ${p.features[0]?.name ?? p.subject}`],
        blocking: false,
      },
    ];
    return {
      provider: 'GitHub Actions',
      stages,
    };
  },
});

/**
 * The coder writes the application itself. Its output is code, not a description of code: the phase
 * coordinator commits it into the run's workspace, and later phases run real tools on it. Offline, it
 * is the deterministic generator (`app/`): the PRD's stories and the architecture's resources become
 * an HTTP service on Node built-ins (or a CLI), a web page, and a test per acceptance criterion.
 */
const coderDefinition = defineAgent({
  id: 'build.coder',
  purpose:
    'Write the application: a service (or CLI) for every story, a small accessible web page, and a test for every acceptance criterion.',
  reads: [...UPSTREAM, 'IdeaClassification', 'RepoScaffold', 'BuildPlan'],
  produces: 'SourceTree',
  tools: ['test-runner'],
  role: 'You are a senior engineer who ships small, working, well-tested programs. Your code runs on the first try with no install step.',
  task: 'Write every file of the application for the idea: source, web page, package.json and tests. Return the complete files, not fragments.',
  rules: [
    'Plain JavaScript ES modules on Node 24 built-ins only (node:http, node:sqlite, node:test, node:assert, fetch); no dependencies.',
    'package.json has "type": "module", a `start` script that serves on PORT and a `test` script that runs node --test; `"ideamine": {"kind": "service"}` (or "cli").',
    'GET /healthz answers 200 once the service is ready; invalid input gets a 400 naming each field and why.',
    'One acceptance test per acceptance criterion under test/acceptance/, named `TC-<criterion> [US-<story>] <criterion text>`, using BASE_URL when it is set.',
    'Never put secrets in files.',
  ],
  outputSchema: SourceTree,
  offline(input) {
    const spec = appSpecFrom(input);
    return { kind: spec.kind, files: generateApp(spec) };
  },
});

/** Most acceptance tests listed by name in the coder's prompt; a PRD has a few dozen. */
const MAX_LISTED_TESTS = 300;

/**
 * The acceptance tests the coder must write, one line each with its exact name. The generic prompt
 * shows `UserStories` as JSON cut at 6,000 characters, which hides the last stories' criteria from a
 * real model (4 to 6 of 18 for the sample ideas): a criterion without its `TC-` test keeps the story
 * loop's gate shut, so every name is listed here, compactly.
 */
export function acceptanceTestPlan(input: AgentInput): string[] {
  const stories = readArtifact(input, 'UserStories', UserStories)?.stories;
  if (!stories) return [];
  const names = stories.flatMap((s) =>
    s.acceptanceCriteria.map((c) => {
      const text = `Given ${c.given}, when ${c.when}, then ${c.expected}`.replace(/\s+/g, ' ').slice(0, 240);
      return `- \`${c.id.replace(/^AC-/, 'TC-')} [${s.id}]\` ${text}`;
    }),
  );
  const shown = names.slice(0, MAX_LISTED_TESTS);
  return [
    '## Acceptance tests to write',
    `One test per acceptance criterion (${names.length}), under test/acceptance/, named with the id and story shown, then the criterion:`,
    ...shown,
    ...(names.length > shown.length ? [`... and ${names.length - shown.length} more in UserStories`] : []),
  ];
}

export const coder: AgentDefinition<SourceTree> = {
  ...coderDefinition,
  prompt(input) {
    const prompt = coderDefinition.prompt(input);
    const plan = acceptanceTestPlan(input);
    const at = prompt.lastIndexOf('\n## Output\n');
    if (plan.length === 0 || at < 0) return prompt;
    return `${prompt.slice(0, at)}\n\n${plan.join('\n')}\n${prompt.slice(at)}`;
  },
};

export const buildAgents = [scaffolder, buildPlanner, ciDesigner, coder] as const;
