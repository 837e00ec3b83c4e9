import type { AgentInput } from '../../core/agent.ts';
import { deriveGoals } from '../intake/agents.ts';
import { type Goal, IdeaSpec } from '../intake/schemas.ts';
import { readArtifact } from '../shared/artifacts.ts';
import { defineAgent } from '../shared/define.ts';
import { type IdeaProfile, profileIdea } from '../shared/profile.ts';
import { seeded } from '../shared/seed.ts';
import { capitalize, humanize, lowerFirst, thirdPerson } from '../shared/text.ts';
import {
  CompetitiveAnalysis,
  type Dependency,
  Personas,
  ProductStrategy,
  TechStack,
  type UseCase,
} from './schemas.ts';

/** The goals this phase must cover: the IdeaSpec's when intake produced one, else derived. */
export function goalsOf(input: AgentInput, p: IdeaProfile): Goal[] {
  return readArtifact(input, 'IdeaSpec', IdeaSpec)?.goals ?? deriveGoals(p);
}

/** One use case per goal, acted by the first three roles in turn. */
export function deriveUseCases(p: IdeaProfile, goals: readonly Goal[]): UseCase[] {
  return goals.map((goal, i) => {
    const feature = p.features.find((f) => f.key === goal.feature) ?? p.features[i % p.features.length]!;
    const actor = p.roles[Math.min(feature.actor, p.roles.length - 1)]!;
    const entity = humanize(feature.entity);
    return {
      id: `UC-${i + 1}`,
      title: feature.name,
      actor: actor.id,
      goalIds: [goal.id],
      feature: feature.key,
      steps: [
        `${actor.name} signs in and opens the ${entity} view.`,
        `${actor.name} ${thirdPerson(feature.verb)} the ${p.subject} ${entity} (${feature.summary}).`,
        `${p.title} confirms the change and shows it to everyone it concerns.`,
      ],
      outcome: `${capitalize(lowerFirst(feature.name))} in under two minutes, without leaving ${p.title}.`,
    };
  });
}

function productKind(p: IdeaProfile): string {
  return p.domain.label.endsWith(p.productType) ? p.domain.label : `${p.domain.label} ${p.productType}`;
}

export const strategy = defineAgent({
  id: 'ideation.strategy',
  purpose:
    'Product strategy: vision, positioning, north-star metric and the use cases that deliver every goal.',
  reads: ['IdeaSpec', 'IdeaClassification'],
  produces: 'ProductStrategy',
  role:
    'You are a product strategist. You state a crisp vision and positioning, pick one north-star metric, ' +
    'and make sure every goal of the spec is delivered by at least one concrete use case.',
  task: 'Write the product strategy and the use cases for the idea, covering every IdeaSpec goal.',
  rules: [
    'Each use case lists the IdeaSpec goal ids it delivers in `goalIds`; together they must cover every goal.',
    '`actor` is a persona id (P1, P2...) matching the personas of this phase.',
  ],
  outputSchema: ProductStrategy,
  offline(input) {
    const p = profileIdea(input.idea);
    const goals = goalsOf(input, p);
    const useCases = deriveUseCases(p, goals);
    const textual = p.features.filter((f) => f.source === 'text');
    const first = p.features[0];
    return {
      vision: `${p.title} becomes the simplest way for ${p.audience} to ${first?.verb ?? 'manage'} ${p.subjects}.`,
      positioning:
        `For ${p.audience} who need to ${first?.verb ?? 'manage'} ${p.subjects}, ${p.title} is a ${productKind(p)}; ` +
        `unlike ${p.domain.competitors[0]}, it is built around "${p.features[1]?.name ?? first?.name ?? p.subject}".`,
      northStar: capitalize(p.domain.northStar),
      differentiators: [
        `Built for ${p.audience}, not adapted from a generic tool.`,
        ...textual.map((f) => `${f.name} from day one.`),
      ],
      useCases,
    };
  },
});

export const competitive = defineAgent({
  id: 'ideation.competitive',
  purpose:
    'Competitive analysis: direct, indirect and substitute competitors, their gaps and our differentiators.',
  reads: ['IdeaSpec', 'IdeaClassification'],
  produces: 'CompetitiveAnalysis',
  tools: ['web-search'],
  role:
    'You are a market analyst. You name the real alternatives users have today, including doing nothing, ' +
    'and you are honest about where they are strong.',
  task: 'Analyse the competition for the idea and the gaps it can fill.',
  rules: [
    'Include at least one substitute (what people do without a product).',
    'Every weakness is specific and checkable.',
  ],
  outputSchema: CompetitiveAnalysis,
  offline(input) {
    const p = profileIdea(input.idea);
    const rng = seeded(p.fingerprint, 'competitive');
    const kinds = ['direct', 'indirect', 'substitute'] as const;
    const weak = [
      'slow onboarding',
      'no audit trail',
      'pricing per seat',
      'weak mobile experience',
      'no offline use',
    ];
    return {
      competitors: p.domain.competitors.map((name, i) => ({
        name: capitalize(name),
        kind: kinds[Math.min(i, 2)]!,
        strengths: [
          i === 0 ? 'Well known and trusted' : 'Already in daily use',
          'No switching cost for existing users',
        ],
        weaknesses: [`Not designed for ${p.audience}`, capitalize(rng.pick(`weak-${i}`, weak))],
      })),
      marketGaps: p.features.slice(0, 3).map((f) => `${f.name}, done for ${p.audience}`),
      differentiators: [
        `Focus on ${p.audience}`,
        ...p.features.filter((f) => f.source === 'text').map((f) => f.name),
      ],
    };
  },
});

function dep(
  name: string,
  version: string,
  purpose: string,
  scope: Dependency['scope'] = 'runtime',
): Dependency {
  return { name, version, license: 'MIT', purpose, scope };
}

export const techStack = defineAgent({
  id: 'ideation.tech-stack',
  purpose: 'Choose the technology stack and its pinned dependencies, layer by layer, with rationale.',
  reads: ['IdeaSpec', 'IdeaClassification'],
  produces: 'TechStack',
  tools: ['web-search'],
  role:
    'You are a pragmatic staff engineer. You choose boring, well-supported technology, pin versions, ' +
    'prefer permissive licenses and add a dependency only when a feature needs it.',
  task: 'Choose the stack for the idea and list its dependencies with exact versions and licenses.',
  rules: [
    'Versions are exact semver (no ranges).',
    'Justify each layer by a feature or constraint of the idea.',
  ],
  outputSchema: TechStack,
  offline(input) {
    const p = profileIdea(input.idea);
    const has = (key: string) => p.features.some((f) => f.key === key);
    const choices = [
      {
        layer: 'frontend',
        choice: 'React 19 with Vite, responsive web',
        rationale: `Web-first launch for ${p.audience}.`,
      },
      {
        layer: 'backend',
        choice: 'Node.js 24 with Hono and zod',
        rationale: 'One language end to end; validated inputs.',
      },
      {
        layer: 'database',
        choice: 'PostgreSQL 17',
        rationale: `Relational data: ${p.entities.slice(0, 4).join(', ')}.`,
      },
      {
        layer: 'auth',
        choice: 'OIDC with a hosted identity provider',
        rationale: 'No passwords stored by us.',
      },
    ];
    const deps = [
      dep('hono', '4.9.8', 'HTTP API'),
      dep('zod', '4.1.11', 'input validation'),
      dep('pg', '8.16.3', 'PostgreSQL client'),
      dep('pino', '9.11.0', 'structured logs'),
      dep('react', '19.1.1', 'user interface'),
      dep('vite', '7.1.7', 'frontend build', 'dev'),
      dep('vitest', '3.2.4', 'tests', 'dev'),
    ];
    if (has('payments') || p.domain.key === 'marketplace' || p.domain.key === 'commerce') {
      choices.push({
        layer: 'payments',
        choice: 'Stripe (hosted checkout, Connect for payouts)',
        rationale: 'Keeps card data out of scope.',
      });
      deps.push(dep('stripe', '18.5.0', 'payments'));
    }
    if (has('nearby')) deps.push({ ...dep('maplibre-gl', '5.7.3', 'maps'), license: 'BSD-3-Clause' });
    if (has('notify')) deps.push(dep('web-push', '3.6.7', 'push notifications'));
    if (has('uploads'))
      deps.push({ ...dep('@aws-sdk/client-s3', '3.890.0', 'file storage'), license: 'Apache-2.0' });
    return { choices, dependencies: deps };
  },
});

const FIRST_NAMES = [
  'Maya',
  'Tomás',
  'Aisha',
  'Kenji',
  'Priya',
  'Lukas',
  'Zoe',
  'Omar',
  'Ingrid',
  'Kwame',
  'Sofia',
  'Ravi',
];

export const persona = defineAgent({
  id: 'ideation.persona',
  purpose: 'Personas: 3 to 5 named users with goals, pains and the use cases they act in.',
  reads: ['IdeaSpec', 'ProductStrategy'],
  produces: 'Personas',
  role:
    'You are a UX researcher. You write personas from the audience of the idea, each with real goals and ' +
    'pains, and you tie them to the use cases they perform.',
  task: 'Write between 3 and 5 personas for the idea.',
  rules: [
    'Between 3 and 5 personas, ids P1..P5, consistent with the use-case actors.',
    'Pains are concrete situations, not adjectives.',
  ],
  outputSchema: Personas,
  offline(input) {
    const p = profileIdea(input.idea);
    const count = 3;
    const useCases =
      readArtifact(input, 'ProductStrategy', ProductStrategy)?.useCases ??
      deriveUseCases(p, goalsOf(input, p));
    const names = seeded(p.fingerprint, 'personas').sample('names', FIRST_NAMES, count);
    const [, alt1, alt2] = p.domain.competitors;
    return {
      personas: p.roles.slice(0, count).map((role, i) => ({
        id: role.id,
        name: `${names[i] ?? role.id}, ${lowerFirst(role.name)}`,
        role: role.name,
        description: `${names[i] ?? 'This persona'} ${role.focus}. Context: ${p.audience}.`,
        goals: [capitalize(role.focus), ...useCases.filter((u) => u.actor === role.id).map((u) => u.title)],
        pains: [
          `Juggles ${alt1 ?? 'several tools'} and ${alt2 ?? 'memory'} to keep track of ${p.subjects}.`,
          'Loses time re-asking others for status.',
        ],
        useCaseIds: useCases.filter((u) => u.actor === role.id).map((u) => u.id),
      })),
    };
  },
});

export const ideationAgents = [strategy, competitive, techStack, persona] as const;
