import type { AgentInput } from '../../core/agent.ts';
import { defineFixer } from '../build/fixer.ts';
import { BuildPlan } from '../build/schemas.ts';
import { storiesOf, testIdFor } from '../prd/derive.ts';
import type { UserStory } from '../prd/schemas.ts';
import { readAllArtifacts, readArtifact } from '../shared/artifacts.ts';
import { defineAgent } from '../shared/define.ts';
import { profileIdea } from '../shared/profile.ts';
import { seeded } from '../shared/seed.ts';
import { DevStories, RefinedStories } from './schemas.ts';

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
    return {
      iteration: input.attempt,
      // Whether a story is done is measured by its acceptance tests (the story-loop's acceptance
      // run), not claimed here: the refiner reports the work as implemented and waiting for them.
      stories: source.map((s) => ({
        id: s.id,
        userStoryId: s.userStoryId,
        status: 'done' as const,
        definitionOfDone: ['Code reviewed', 'Acceptance tests pass', 'No new lint or type errors'],
        notes: `${s.tasks.length} tasks implemented in module ${s.moduleId}; done when its acceptance tests pass.`,
      })),
    };
  },
});

/** Repairs the code from the acceptance run of the previous gate attempt (see build/fixer.ts). */
export const fixer = defineFixer('story-loop', 'AcceptanceRun');

export const storyLoopAgents = [storyGenerator, refiner, fixer] as const;
