import type { AgentInput } from '../../core/agent.ts';
import { BuildPlan } from '../build/schemas.ts';
import { storiesOf, testIdFor } from '../prd/derive.ts';
import type { UserStory } from '../prd/schemas.ts';
import { readAllArtifacts, readArtifact } from '../shared/artifacts.ts';
import { metricMode } from '../shared/defects.ts';
import { defineAgent } from '../shared/define.ts';
import { profileIdea } from '../shared/profile.ts';
import { seeded } from '../shared/seed.ts';
import { AcceptanceReport, DevStories, RefinedStories } from './schemas.ts';

const UPSTREAM = ['UserStories', 'PRD', 'RTM', 'ArchitectureSpec', 'ApiSpec', 'BuildPlan', 'RepoScaffold'];

/** The user stories this task covers: all, or one slice when the loop fans out by shard. */
function shardOf(input: AgentInput, stories: readonly UserStory[]): UserStory[] {
  const shard = input.shard;
  if (shard === undefined || shard.count <= 1) return [...stories];
  return stories.filter((_, i) => i % shard.count === shard.index);
}

function devStories(input: AgentInput): DevStories['stories'] {
  const p = profileIdea(input.idea);
  const rng = seeded(p.fingerprint, 'story-points');
  const plan = readArtifact(input, 'BuildPlan', BuildPlan);
  return shardOf(input, storiesOf(input, p)).map((s) => ({
    id: `DS-${s.id.replace(/^US-/, '')}`,
    userStoryId: s.id,
    moduleId: plan?.modules.find((m) => m.storyIds.includes(s.id))?.id ?? 'build-unassigned',
    title: s.title,
    tasks: [
      `Implement: ${s.iWant}`,
      ...s.acceptanceCriteria.map((c) => `Make ${testIdFor(c.id)} pass: then ${c.expected}`),
    ],
    points: rng.pick(s.id, [1, 2, 3, 5]),
    status: 'todo' as const,
  }));
}

export const storyGenerator = defineAgent({
  id: 'story-loop.story-generator',
  purpose: 'Turn user stories into development stories with tasks, module and points for the build loop.',
  reads: UPSTREAM,
  produces: 'DevStories',
  role: 'You are a tech lead preparing a sprint. Each development story is small, belongs to one module and its tasks end in passing acceptance tests.',
  task: 'Generate the development stories for the user stories in scope (your shard only, when one is given).',
  rules: ['One development story per user story; tasks name the acceptance tests (TC-...) they make pass.'],
  outputSchema: DevStories,
  offline: (input) => ({ stories: devStories(input) }),
});

export const refiner = defineAgent({
  id: 'story-loop.refiner',
  purpose: 'Refine and implement stories iteratively until each meets its definition of done.',
  reads: [...UPSTREAM, 'DevStories'],
  produces: 'RefinedStories',
  tools: ['test-runner'],
  role: 'You are a developer working through the sprint. You refine each story, implement it, and mark it done only when its definition of done holds.',
  task: 'Work through the development stories and report their status after this iteration.',
  rules: [
    '`done` only when every acceptance test of the story passes; otherwise `blocked` with a note saying why.',
  ],
  outputSchema: RefinedStories,
  offline(input) {
    const inScope = new Set(shardOf(input, storiesOf(input, profileIdea(input.idea))).map((s) => s.id));
    const generated = readAllArtifacts(input, 'DevStories', DevStories).flatMap((d) => d.stories);
    const merged = [...new Map(generated.map((s) => [s.id, s])).values()].filter((s) =>
      inScope.has(s.userStoryId),
    );
    const source = merged.length > 0 ? merged : devStories(input);
    const broken = metricMode(input, 'stories_done_ratio').broken;
    return {
      iteration: input.attempt,
      stories: source.map((s, i) => {
        const blocked = broken && i % 2 === 1;
        return {
          id: s.id,
          userStoryId: s.userStoryId,
          status: blocked ? ('blocked' as const) : ('done' as const),
          definitionOfDone: ['Code reviewed', 'Acceptance tests pass', 'No new lint or type errors'],
          notes: blocked
            ? 'Blocked: waiting on a schema change from another module.'
            : `${s.tasks.length} tasks completed in module ${s.moduleId}.`,
        };
      }),
    };
  },
});

export const acceptance = defineAgent({
  id: 'story-loop.acceptance',
  purpose: 'Run each acceptance criterion of the stories in scope and record pass or fail with evidence.',
  reads: [...UPSTREAM, 'DevStories', 'RefinedStories'],
  produces: 'AcceptanceReport',
  tools: ['test-runner'],
  role: 'You are an acceptance tester. You run every Given/When/Then criterion and record exactly what you observed.',
  task: 'Check every acceptance criterion of the stories in scope (your shard only, when one is given).',
  rules: [
    'One result per acceptance criterion; `testId` is TC-<criterion>; evidence quotes what was observed.',
  ],
  outputSchema: AcceptanceReport,
  offline(input) {
    const p = profileIdea(input.idea);
    const broken = metricMode(input, 'acceptance_pass_ratio').broken;
    const results = shardOf(input, storiesOf(input, p)).flatMap((s) =>
      s.acceptanceCriteria.map((c) => ({
        storyId: s.id,
        criterionId: c.id,
        testId: testIdFor(c.id),
        passed: true,
        evidence: `Observed: ${c.expected}.`,
      })),
    );
    return {
      results: results.map((r, i) =>
        broken && i % 2 === 0
          ? {
              ...r,
              passed: false,
              evidence: 'Observed: the change was not visible to other members after 2 seconds.',
            }
          : r,
      ),
    };
  },
});

export const storyLoopAgents = [storyGenerator, refiner, acceptance] as const;
