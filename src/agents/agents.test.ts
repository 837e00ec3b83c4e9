import { describe, expect, it } from 'vitest';
import type { AgentDefinition, ArtifactView, Idea } from '../core/agent.ts';
import { PHASE_NAMES } from '../core/phases.ts';
import type { AcceptanceRun, TestReport } from '../core/schemas/tool-reports.ts';
import type { CodePatch, SourceTree, WorkspaceSnapshot } from './build/schemas.ts';
import type { UserStories } from './prd/schemas.ts';
import { agentsForPhase, builtinAgents } from './registry.ts';
import { inputFor, runPhase, SAMPLE_IDEAS, simulateRun } from './testing/simulate.ts';

const EXPECTED_IDS: Record<string, string[]> = {
  intake: ['classifier', 'expander', 'validator'],
  ideation: ['strategy', 'competitive', 'tech-stack', 'persona'],
  critique: ['red-team', 'risk-analyst', 'assumption-challenger'],
  prd: ['story-cutter', 'prd-writer', 'ux-flow', 'nfrs', 'trace-matrix'],
  bizdev: ['pricing', 'gtm', 'unit-economics', 'partnerships'],
  architecture: ['system-design', 'api-spec', 'data-model', 'adr'],
  build: ['scaffolder', 'build-planner', 'ci-designer', 'coder'],
  security: ['privacy', 'threat-model'],
  'story-loop': ['story-generator', 'refiner', 'fixer'],
  qa: ['test-planner', 'e2e-designer', 'perf-analyst', 'fixer'],
  aesthetic: ['ui-auditor', 'brand-consistency'],
  release: ['release-notes', 'changelog', 'dossier-compiler', 'deploy-planner'],
  beta: ['cohort-planner', 'telemetry-designer', 'feedback-analyst'],
};

const IDEAS: [string, Idea][] = Object.entries(SAMPLE_IDEAS);
const AGENTS = [...builtinAgents.values()];

/** Each idea's full chain, computed once: agent outputs in context and the artifacts they saw. */
const chains = new Map(IDEAS.map(([name, idea]) => [name, simulateRun(idea, { maxAttempts: 1 }).artifacts]));

function upstreamOf(agent: AgentDefinition, artifacts: readonly ArtifactView[]): ArtifactView[] {
  const index = PHASE_NAMES.indexOf(agent.phase as (typeof PHASE_NAMES)[number]);
  return artifacts.filter((a) => PHASE_NAMES.indexOf(a.phase as (typeof PHASE_NAMES)[number]) < index);
}

/**
 * Artifacts several agents produce: a `CodePatch` is a change committed to the workspace — each
 * measuring phase's fixer patches code, and the release commits its changelog.
 */
const SHARED_OUTPUTS: Record<string, string[]> = {
  CodePatch: ['story-loop.fixer', 'qa.fixer', 'release.changelog'],
};

const FIXERS = new Set(['story-loop.fixer', 'qa.fixer']);

function found<T>(artifacts: readonly ArtifactView[], type: string): T {
  const view = artifacts.find((a) => a.type === type);
  if (view === undefined) throw new Error(`no ${type} in the chain`);
  return view.content as T;
}

function toolView(agent: AgentDefinition, type: string, content: unknown): ArtifactView {
  return { id: `${type}-prev`, type, name: 'tool', phase: agent.phase, content };
}

/**
 * What a fixer gets on a later gate attempt (phase-coordinator #fixContext): the previous attempt's
 * tool report, here with the first acceptance test of the first story failing, and the workspace as
 * committed, here the coder's tree with every resource module broken. The offline repair restores
 * the module of that story's resource, which is idea-specific code.
 */
function failedAttempt(agent: AgentDefinition, chain: readonly ArtifactView[]): ArtifactView[] {
  const story = found<UserStories>(chain, 'UserStories').stories[0]!;
  const name = `${story.acceptanceCriteria[0]!.id.replace(/^AC-/, 'TC-')} [${story.id}] ${story.title}`;
  const report: TestReport = {
    tool: 'test-runner@24.0.0',
    command: 'node --test',
    exitCode: 1,
    passed: 0,
    failed: 1,
    skipped: 0,
    todo: 0,
    total: 1,
    durationMs: 5,
    cases: [{ name, status: 'failed', durationMs: 5, message: 'expected 201, got 500' }],
    failures: [{ name, message: 'expected 201, got 500' }],
    parseErrors: [],
  };
  const tree = found<SourceTree>(chain, 'SourceTree');
  const snapshot: WorkspaceSnapshot = {
    commit: 'c0ffee',
    files: tree.files.map((f) =>
      f.path.startsWith('src/resources/') ? { path: f.path, content: 'export {};\n' } : f,
    ),
  };
  const run: AcceptanceRun = { ...report, baseUrl: 'http://127.0.0.1:3000' };
  return [
    agent.id === 'qa.fixer' ? toolView(agent, 'TestReport', report) : toolView(agent, 'AcceptanceRun', run),
    toolView(agent, 'WorkspaceSnapshot', snapshot),
  ];
}

describe('the built-in agents', () => {
  it('are exactly the agents the phase configs name, in phase order', () => {
    for (const phase of PHASE_NAMES) {
      expect(agentsForPhase(phase).map((a) => a.id)).toEqual(
        (EXPECTED_IDS[phase] ?? []).map((n) => `${phase}.${n}`),
      );
    }
    expect(builtinAgents.size).toBe(Object.values(EXPECTED_IDS).flat().length);
  });

  it.each(AGENTS.map((a) => [a.id, a] as const))('%s declares a complete definition', (_, agent) => {
    expect(agent.id.startsWith(`${agent.phase}.`)).toBe(true);
    expect(agent.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(agent.purpose.length).toBeGreaterThan(20);
    expect(agent.produces).toMatch(/^[A-Z][A-Za-z0-9]+$/);
    expect(agent.system).toContain('IdeaMine');
    expect(agent.reads).not.toContain(agent.produces);
  });

  it('produce one artifact type each, except the code patches of the fixers', () => {
    const producers = new Map<string, string[]>();
    for (const a of AGENTS) producers.set(a.produces, [...(producers.get(a.produces) ?? []), a.id]);
    expect(Object.fromEntries([...producers].filter(([, ids]) => ids.length > 1))).toEqual(SHARED_OUTPUTS);
  });
});

describe.each(IDEAS)('offline output for the %s idea', (name, idea) => {
  const chain = chains.get(name) ?? [];

  it.each(AGENTS.map((a) => [a.id, a] as const))('%s is schema-valid alone and in the chain', (_, agent) => {
    const alone = agent.offline(inputFor(agent, idea, []));
    expect(agent.outputSchema.safeParse(alone).error).toBeUndefined();
    const inChain = agent.offline(inputFor(agent, idea, upstreamOf(agent, chain)));
    expect(agent.outputSchema.safeParse(inChain).error).toBeUndefined();
    // Artifacts are stored as JSON: nothing may be lost in the round trip.
    expect(JSON.parse(JSON.stringify(inChain))).toEqual(inChain);
  });

  it.each(AGENTS.map((a) => [a.id, a] as const))('%s is deterministic', (_, agent) => {
    const input = inputFor(agent, idea, upstreamOf(agent, chain));
    expect(agent.offline(input)).toEqual(agent.offline(structuredClone(input)));
  });

  it('names the idea in the prompts, with upstream evidence and hints', () => {
    for (const agent of AGENTS) {
      const input = {
        ...inputFor(agent, idea, upstreamOf(agent, chain)),
        hints: ['fix:some_rubric_max: do better'],
      };
      const prompt = agent.prompt(input);
      expect(prompt).toContain(idea.title);
      expect(prompt).toContain('fix:some_rubric_max');
      expect(prompt).toContain(`\`${agent.produces}\``);
      for (const type of Object.keys(input.artifacts))
        expect(prompt).toContain(`${type} "${input.artifacts[type]?.[0]?.name}" (phase`);
    }
  });
});

describe('idea-specific output', () => {
  // A fixer with nothing failing returns an empty patch for every idea; given a failing run it
  // repairs the idea's own code, so it is compared on a failed attempt.
  it.each(AGENTS.map((a) => [a.id, a] as const))('%s differs between two ideas', (_, agent) => {
    const [a, b] = [chains.get('todo') ?? [], chains.get('camping') ?? []];
    const context = (chain: readonly ArtifactView[]) => [
      ...upstreamOf(agent, chain),
      ...(FIXERS.has(agent.id) ? failedAttempt(agent, chain) : []),
    ];
    const outA = agent.offline(inputFor(agent, SAMPLE_IDEAS.todo, context(a)));
    const outB = agent.offline(inputFor(agent, SAMPLE_IDEAS.camping, context(b)));
    expect(outA).not.toEqual(outB);
  });

  it('speaks the vocabulary of each idea', () => {
    const text = (name: string) => JSON.stringify(chains.get(name));
    expect(text('todo')).toMatch(/shared todo lists|Share todos/i);
    expect(text('todo')).toContain('Team lead');
    expect(text('camping')).toContain('/api/v1/bookings');
    expect(text('camping')).toMatch(/camping gear renter/i);
    expect(text('camping')).toMatch(/camping gear owner/i);
    expect(text('health')).toContain('HIPAA');
    expect(text('todo')).not.toContain('camping');
  });

  it('passes bracketed idea text to the prompt as written, and still drafts a valid spec', () => {
    const idea = {
      ...SAMPLE_IDEAS.todo,
      description: `${SAMPLE_IDEAS.todo.description} [phase 2: offline mode]`,
    };
    const artifacts = runPhase('intake', idea, []);
    expect(artifacts.map((a) => a.type)).toEqual(['IdeaClassification', 'IdeaSpec', 'IdeaValidation']);
    const agent = agentsForPhase('intake')[1]!;
    expect(agent.prompt(inputFor(agent, idea, []))).toContain('[phase 2: offline mode]');
  });
});

describe.each([...FIXERS])('%s', (id) => {
  const agent = builtinAgents.get(id)!;
  const chain = chains.get('todo') ?? [];
  const upstream = upstreamOf(agent, chain);

  it('changes nothing when no test failed', () => {
    expect(agent.offline(inputFor(agent, SAMPLE_IDEAS.todo, upstream))).toEqual({ files: [], diagnosis: [] });
    const [report, snapshot] = failedAttempt(agent, chain);
    const green = structuredClone(report!);
    Object.assign(green.content as TestReport, { passed: 1, failed: 0, cases: [], failures: [] });
    expect(agent.offline(inputFor(agent, SAMPLE_IDEAS.todo, [...upstream, green, snapshot!]))).toEqual({
      files: [],
      diagnosis: [],
    });
  });

  it('restores the broken file behind a failing test, as the coder wrote it', () => {
    const patch = agent.offline(
      inputFor(agent, SAMPLE_IDEAS.todo, [...upstream, ...failedAttempt(agent, chain)]),
    ) as CodePatch;
    const written = new Map(found<SourceTree>(chain, 'SourceTree').files.map((f) => [f.path, f.content]));
    expect(patch.files.length).toBe(1);
    for (const f of patch.files) {
      expect(f.path).toMatch(/^src\/resources\//);
      expect(f.content).toBe(written.get(f.path));
    }
    expect(patch.diagnosis).toHaveLength(1);
    expect(patch.diagnosis[0]?.files).toEqual(patch.files.map((f) => f.path));
  });
});

describe('fan-out shards', () => {
  it('split the story loop between shards without losing stories', () => {
    const chain = chains.get('camping') ?? [];
    const generator = agentsForPhase('story-loop')[0]!;
    const upstream = upstreamOf(generator, chain);
    const whole = generator.offline(inputFor(generator, SAMPLE_IDEAS.camping, upstream)) as {
      stories: { id: string }[];
    };
    const parts = [0, 1, 2].flatMap((index) => {
      const input = { ...inputFor(generator, SAMPLE_IDEAS.camping, upstream), shard: { index, count: 3 } };
      return (generator.offline(input) as { stories: { id: string }[] }).stories.map((s) => s.id);
    });
    expect(parts.sort()).toEqual(whole.stories.map((s) => s.id).sort());
  });
});
