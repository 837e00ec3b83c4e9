import { z } from 'zod';
import type { AgentInput } from '../../core/agent.ts';
import { CodePatch } from '../build/schemas.ts';
import { storiesOf, useCasesOf } from '../prd/derive.ts';
import { NFRs } from '../prd/schemas.ts';
import { readAllArtifacts, readArtifact } from '../shared/artifacts.ts';
import { defineAgent } from '../shared/define.ts';
import { profileIdea } from '../shared/profile.ts';
import { RefinedStories } from '../story-loop/schemas.ts';
import { DeployPlan, ReleaseDossier, ReleaseNotes } from './schemas.ts';

export const RELEASE_VERSION = '1.0.0';

/** What the release dossier must hold, by section (requirements: product, code, security, quality, deployment). */
export const DOSSIER_SECTIONS: readonly { name: string; types: readonly string[] }[] = [
  { name: 'product', types: ['PRD', 'UserStories', 'RTM', 'NFRs'] },
  { name: 'architecture', types: ['ArchitectureSpec', 'ApiSpec', 'DataModel', 'ADRs'] },
  { name: 'code', types: ['SourceTree', 'RepoScaffold', 'BuildPlan', 'CiPipeline', 'RefinedStories'] },
  { name: 'tests', types: ['TestPlan', 'TestReport', 'MeasuredCoverage', 'E2eSuite', 'AcceptanceRun'] },
  {
    name: 'security',
    types: ['SecretScan', 'StaticAnalysis', 'DependencyAudit', 'Sbom', 'ThreatModel', 'PrivacyAssessment'],
  },
  {
    name: 'quality',
    types: ['PerfBudgets', 'LoadTestReport', 'AccessibilityScan', 'UiAudit', 'BrandReport'],
  },
  { name: 'release', types: ['ReleaseNotes', 'DeployPlan'] },
];

const ALL_TYPES = DOSSIER_SECTIONS.flatMap((s) => s.types);

function doneStoryIds(input: AgentInput): Set<string> | undefined {
  const refined = readAllArtifacts(input, 'RefinedStories', RefinedStories).flatMap((r) => r.stories);
  if (refined.length === 0) return undefined;
  return new Set(refined.filter((s) => s.status === 'done').map((s) => s.userStoryId));
}

export const releaseNotes = defineAgent({
  id: 'release.release-notes',
  purpose: 'Release notes: highlights, features by story, fixes, known issues and upgrade notes.',
  reads: ['PRD', 'UserStories', 'RefinedStories', 'NFRs'],
  produces: 'ReleaseNotes',
  tools: ['changelog'],
  role: 'You are a technical writer. Release notes tell users what changed for them, in their words, and are honest about known issues.',
  task: 'Write the release notes for the first release of the idea.',
  rules: [
    'List every shipped user story under a feature; blocked stories go to known issues.',
    'Version is semver.',
  ],
  outputSchema: ReleaseNotes,
  offline(input) {
    const p = profileIdea(input.idea);
    const done = doneStoryIds(input);
    const stories = storiesOf(input, p).filter((s) => done === undefined || done.has(s.id));
    const features = useCasesOf(input, p)
      .map((uc) => ({
        title: uc.title,
        storyIds: stories.filter((s) => s.useCaseId === uc.id).map((s) => s.id),
      }))
      .filter((f) => f.storyIds.length > 0);
    const blocked = storiesOf(input, p).filter((s) => done !== undefined && !done.has(s.id));
    return {
      version: RELEASE_VERSION,
      title: `${p.title} ${RELEASE_VERSION}`,
      summary: `The first release of ${p.title} for ${p.audience}: ${features.length} features, from ${features[0]?.title.toLowerCase() ?? p.subject} onwards.`,
      highlights: features.slice(0, 3).map((f) => f.title),
      features,
      fixes: [],
      knownIssues: [...blocked.map((s) => `Not yet available: ${s.title} (${s.id}).`)],
      upgradeNotes: [
        'First release: no upgrade steps.',
        `Performance target: ${readArtifact(input, 'NFRs', NFRs)?.nfrs[0]?.target ?? 'p95 < 300 ms'}.`,
      ],
    };
  },
});

export const dossierCompiler = defineAgent({
  id: 'release.dossier-compiler',
  purpose: 'Compile the release dossier index: every required artifact by section, and what is missing.',
  reads: ALL_TYPES,
  produces: 'ReleaseDossier',
  tools: ['dossier-compile', 'sign-artifact'],
  role: 'You are a release manager assembling the evidence for a go-live review. You list what exists and never paper over what is missing.',
  task: 'Index the artifacts of the run into the release dossier sections.',
  rules: ['`artifactIds` are ids of artifacts given above; list missing artifact types in `missing`.'],
  artifactDetail: 'index',
  outputSchema: ReleaseDossier,
  offline(input) {
    const sections = DOSSIER_SECTIONS.map((s) => {
      const present = s.types.filter((t) => (input.artifacts[t] ?? []).length > 0);
      return {
        name: s.name,
        artifactTypes: present,
        artifactIds: present.flatMap((t) => (input.artifacts[t] ?? []).map((v) => v.id)),
      };
    });
    return {
      version: RELEASE_VERSION,
      sections,
      missing: ALL_TYPES.filter((t) => !sections.some((s) => s.artifactTypes.includes(t))),
    };
  },
});

export const deployPlanner = defineAgent({
  id: 'release.deploy-planner',
  purpose: 'Deployment plan: environments, canary stages with abort rules, rollback.',
  reads: ['ArchitectureSpec', 'NFRs', 'CiPipeline', 'PerfBudgets', 'RepoScaffold'],
  produces: 'DeployPlan',
  role: 'You are a site reliability engineer. Every deployment is a canary with automatic abort on the NFR signals, and every step can be rolled back.',
  task: 'Plan the production deployment of the first release of the idea.',
  rules: [
    'Abort conditions come from the NFR targets.',
    'Rollback steps are executable commands or runbook steps.',
  ],
  outputSchema: DeployPlan,
  offline(input) {
    const p = profileIdea(input.idea);
    const nfrs = readArtifact(input, 'NFRs', NFRs)?.nfrs ?? [];
    const latency = nfrs.find((n) => n.category === 'performance')?.target ?? 'p95 < 300 ms';
    return {
      strategy: 'canary',
      environments: ['staging', 'production'],
      steps: [
        'Run database migrations (expand phase only)',
        `Deploy ${p.slug} image to staging and run smoke e2e`,
        'Start the production canary',
        'Promote after the last stage',
      ],
      canary: {
        stages: [
          { percent: 5, minutes: 30 },
          { percent: 25, minutes: 60 },
          { percent: 100, minutes: 60 },
        ],
        abortOn: [`Latency above target (${latency})`, 'Error rate above 1%', 'Any failed health check'],
      },
      rollback: {
        triggers: ['Abort condition met', 'On-call decision'],
        steps: [
          'Route 100% of traffic to the previous image',
          'Keep the expanded schema (backward compatible)',
          'Open an incident with the canary metrics',
        ],
      },
      owner: 'on-call',
    };
  },
});

/** `CHANGELOG.md` from the release notes: what a reader of the repository sees of this release. */
export function renderChangelog(notes: ReleaseNotes): string {
  const list = (items: readonly string[]) => items.map((i) => `- ${i}`);
  const section = (title: string, items: readonly string[]) =>
    items.length === 0 ? [] : ['', `### ${title}`, '', ...list(items)];
  return [
    '# Changelog',
    '',
    `## ${notes.version} — ${notes.title}`,
    '',
    notes.summary,
    ...section('Highlights', notes.highlights),
    ...section(
      'Features',
      notes.features.map((f) => `${f.title} (${f.storyIds.join(', ')})`),
    ),
    ...section('Fixes', notes.fixes),
    ...section('Known issues', notes.knownIssues),
    ...section('Upgrade notes', notes.upgradeNotes),
    '',
  ].join('\n');
}

/**
 * The release's commit in the workspace: the changelog, written from the release notes. The phase
 * coordinator commits it (`release: release.changelog@…`), so the release is the repository at that
 * commit, and the dossier names it.
 */
export const changelog = defineAgent({
  id: 'release.changelog',
  purpose: 'Write CHANGELOG.md into the repository from the release notes.',
  reads: ['ReleaseNotes'],
  produces: 'CodePatch',
  tools: ['changelog'],
  role: 'You are a release manager. The changelog in the repository tells its readers what this version changed.',
  task: 'Write CHANGELOG.md for this release from the release notes, as a whole file.',
  rules: ['One file, `CHANGELOG.md`, in Markdown: version and title, summary, then the notes by section.'],
  outputSchema: CodePatch,
  offline(input) {
    const notes = readArtifact(input, 'ReleaseNotes', ReleaseNotes) ?? releaseNotes.offline(input);
    return { files: [{ path: 'CHANGELOG.md', content: renderChangelog(notes) }], diagnosis: [] };
  },
});

export const releaseAgents = [releaseNotes, changelog, dossierCompiler, deployPlanner] as const;
