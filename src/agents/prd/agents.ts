import { goalsOf } from '../ideation/agents.ts';
import { IdeaSpec } from '../intake/schemas.ts';
import { readArtifact } from '../shared/artifacts.ts';
import { defineAgent } from '../shared/define.ts';
import { type IdeaProfile, profileIdea } from '../shared/profile.ts';
import { capitalize } from '../shared/text.ts';
import { deriveRequirements, deriveStories, storiesOf, testIdFor, useCasesOf } from './derive.ts';
import { NFRs, type NFRs as NFRsType, PRD, RTM, UserStories, UxFlows } from './schemas.ts';

const UPSTREAM = [
  'IdeaSpec',
  'ProductStrategy',
  'Personas',
  'RedTeamFindings',
  'RiskRegister',
  'AssumptionChallenges',
];

export const storyCutter = defineAgent({
  id: 'prd.story-cutter',
  purpose: 'Cut the use cases into INVEST user stories with Given/When/Then acceptance criteria.',
  reads: UPSTREAM,
  produces: 'UserStories',
  role:
    'You are an agile product owner. You slice use cases into small, testable user stories and write ' +
    'Given/When/Then acceptance criteria that a tester can run without asking anyone.',
  task: 'Write the user stories for every use case, each traced to requirement ids REQ-n (n = the goal position).',
  rules: [
    'Every story has at least two acceptance criteria (given, when, expected = the "then"); ids AC-<useCase>.<story>.<n>.',
    'Add a story for access control or concurrent edits where data is shared.',
  ],
  outputSchema: UserStories,
  offline(input) {
    const p = profileIdea(input.idea);
    return { stories: deriveStories(input, p) };
  },
});

export const prdWriter = defineAgent({
  id: 'prd.prd-writer',
  purpose: 'Write the PRD: requirements traced to goals and stories, success metrics, scope.',
  reads: [...UPSTREAM, 'UserStories'],
  produces: 'PRD',
  role:
    'You are a principal product manager. Your PRD is short, numbered and testable: every requirement ' +
    'traces back to a goal and forward to stories.',
  task: 'Write the PRD for the idea from the spec, the strategy, the critique and the user stories.',
  rules: [
    'One requirement per IdeaSpec goal at least, ids REQ-1..n in goal order.',
    '`storyIds` lists the stories that implement each requirement.',
  ],
  outputSchema: PRD,
  offline(input) {
    const p = profileIdea(input.idea);
    const spec = readArtifact(input, 'IdeaSpec', IdeaSpec);
    const requirements = deriveRequirements(input, p, storiesOf(input, p));
    return {
      title: `${p.title}: product requirements`,
      summary: p.summary || p.title,
      problem: spec?.problem ?? `${capitalize(p.audience)} lack a dedicated way to manage ${p.subjects}.`,
      requirements,
      successMetrics: [
        capitalize(p.domain.northStar),
        ...goalsOf(input, p)
          .slice(0, 3)
          .map((g) => g.metric),
      ],
      outOfScope: spec?.outOfScope ?? ['Native mobile apps in the first release'],
      releaseScope: `Release 1 delivers the must-have requirements (${requirements
        .filter((r) => r.priority === 'must')
        .map((r) => r.id)
        .join(', ')}).`,
    };
  },
});

export const uxFlow = defineAgent({
  id: 'prd.ux-flow',
  purpose: 'Design the UX flows: screen-by-screen paths that realise the user stories.',
  reads: [...UPSTREAM, 'UserStories'],
  produces: 'UxFlows',
  role:
    'You are a UX designer. You design the shortest path through the product for each use case, ' +
    'screen by screen, and name the stories each flow realises.',
  task: 'Design one flow per use case for the idea.',
  rules: [
    'Each step names the screen, the user action and the visible result.',
    'Flows reference story ids.',
  ],
  outputSchema: UxFlows,
  offline(input) {
    const p = profileIdea(input.idea);
    const stories = storiesOf(input, p);
    return {
      flows: useCasesOf(input, p).map((uc, i) => {
        const feature = p.features.find((f) => f.key === uc.feature) ?? p.features[0]!;
        const screen = `${capitalize(p.subject)} ${feature.entity.toLowerCase()}`;
        return {
          id: `FLOW-${i + 1}`,
          name: uc.title,
          persona: uc.actor,
          storyIds: stories.filter((s) => s.useCaseId === uc.id).map((s) => s.id),
          steps: [
            { screen: 'Home', action: `Open ${p.title}`, result: `Recent ${p.subjects} are listed` },
            {
              screen: `${screen} list`,
              action: `Choose "${feature.name}"`,
              result: 'The editor opens with sensible defaults',
            },
            {
              screen: `${screen} editor`,
              action: `${capitalize(feature.verb)} and confirm`,
              result: 'A confirmation shows who will see the change',
            },
          ],
        };
      }),
    };
  },
});

type NfrCategory = NFRsType['nfrs'][number]['category'];

/** [category, statement, target, measurement], most important first: the default keeps six. */
const NFR_TEMPLATES: readonly [NfrCategory, string, string, string][] = [
  [
    'performance',
    'API responses for {core} are fast.',
    'p95 < 300 ms at 50 requests/s',
    'k6 load test in QA',
  ],
  [
    'accessibility',
    'The web app conforms to WCAG 2.2 level AA.',
    '0 critical axe violations',
    'axe-core scan of every screen',
  ],
  [
    'security',
    'All traffic is encrypted and sessions expire.',
    'TLS 1.2+, session idle timeout 30 min',
    'DAST and configuration review',
  ],
  ['availability', '{title} is available to {audience} around the clock.', '99.9% monthly', 'uptime probe'],
  [
    'privacy',
    'Users can export and delete their {subject} data.',
    'within 30 days of request',
    'privacy review',
  ],
  [
    'compliance',
    'Processing of {subject} data meets {regulation}.',
    'no open high findings',
    'security phase privacy assessment',
  ],
  ['scalability', 'The system grows with {audience}.', '10x launch load without redesign', 'capacity test'],
  [
    'observability',
    'Every request is traced and logged with a run id.',
    '100% of API requests',
    'OpenTelemetry traces',
  ],
];

function nfrCatalog(p: IdeaProfile): NFRsType['nfrs'] {
  const values: Record<string, string> = {
    core: p.features[0]?.name.toLowerCase() ?? 'the core flow',
    regulation: p.domain.compliance[0] ?? 'GDPR',
    title: p.title,
    audience: p.audience,
    subject: p.subject,
  };
  const fill = (text: string) => text.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
  return NFR_TEMPLATES.map(([category, statement, target, measurement], i) => ({
    id: `NFR-${i + 1}`,
    category,
    statement: fill(statement),
    target,
    measurement,
  }));
}

export const nfrs = defineAgent({
  id: 'prd.nfrs',
  purpose:
    'Non-functional requirements with measurable targets: performance, security, privacy, accessibility...',
  reads: UPSTREAM,
  produces: 'NFRs',
  role:
    'You are a reliability and quality engineer. Every non-functional requirement you write has a number ' +
    'and a way to measure it, drawn from the domain and its regulation.',
  task: 'Write the non-functional requirements of the idea.',
  rules: [
    'At least five NFRs covering performance, security, privacy, accessibility and availability.',
    'Every target is a number with a unit.',
  ],
  outputSchema: NFRs,
  offline(input) {
    const p = profileIdea(input.idea);
    return { nfrs: nfrCatalog(p).slice(0, 6) };
  },
});

export const traceMatrix = defineAgent({
  id: 'prd.trace-matrix',
  purpose: 'Build the requirements traceability matrix: requirement → stories → tests.',
  reads: [...UPSTREAM, 'UserStories', 'PRD'],
  produces: 'RTM',
  tools: ['rtm-builder'],
  role:
    'You are a QA lead responsible for traceability. Every requirement must reach at least one story and ' +
    'one test; you never invent coverage that the stories do not have.',
  task: 'Build the RTM from the PRD requirements and the user stories; test ids are TC-<criterion>.',
  rules: [
    'One row per PRD requirement.',
    'A test id exists for each acceptance criterion of each listed story.',
  ],
  outputSchema: RTM,
  offline(input) {
    const p = profileIdea(input.idea);
    const stories = storiesOf(input, p);
    const requirements =
      readArtifact(input, 'PRD', PRD)?.requirements ?? deriveRequirements(input, p, stories);
    return {
      rows: requirements.map((req) => {
        const linked = stories.filter(
          (s) => s.requirementIds.includes(req.id) || req.storyIds.includes(s.id),
        );
        const tests = linked.flatMap((s) => s.acceptanceCriteria.map((c) => testIdFor(c.id)));
        return {
          requirementId: req.id,
          requirement: req.statement,
          storyIds: linked.map((s) => s.id),
          testIds: tests,
        };
      }),
    };
  },
});

export const prdAgents = [storyCutter, prdWriter, uxFlow, nfrs, traceMatrix] as const;
