import type { AgentDefinition, AgentInput, ArtifactView, Idea } from '../../core/agent.ts';
import { hashOf } from '../../core/ids.ts';
import { PHASE_NAMES } from '../../core/phases.ts';
import { fixHintsFor } from '../fix-hints.ts';
import type { GuardReport } from '../guards/guard.ts';
import { agentsForPhase, guardsFor } from '../registry.ts';
import { failedRubrics, TEST_RUBRICS } from './rubrics.ts';

/**
 * An in-memory run of the offline synthesizers, phase by phase in DAG order, with each phase's
 * outputs fed forward as upstream artifacts: what the orchestrator does, minus storage and queues.
 * For tests of the agents, guards and fix hints.
 */

export const SAMPLE_IDEAS = {
  todo: { title: 'TeamTodo', description: 'A shared todo app for small teams' },
  camping: {
    title: 'GearShare',
    description: 'A marketplace for renting camping gear, with reviews and secure payments.',
  },
  health: {
    title: 'ClinicLens',
    description:
      'AI-powered healthcare diagnostic platform for rural clinics, with photo uploads and reminders.',
    constraints: ['Must run on low-bandwidth connections'],
  },
} as const satisfies Record<string, Idea>;

/**
 * Rewrites an agent's output before it is validated and stored: how a unit test stands in for a faulty
 * model (test/support/faulty-model.ts, `faultTransform`). The product has no fault injection of its own.
 */
export type OutputTransform = (agent: AgentDefinition, output: unknown, input: AgentInput) => unknown;

export interface PhaseOptions {
  hints?: string[];
  attempt?: number;
  /** Agents of the phase do not see each other's outputs (the phase fans out in parallel). */
  parallel?: boolean;
  transform?: OutputTransform;
}

export function artifactView(agent: AgentDefinition, content: unknown): ArtifactView {
  return {
    id: `${agent.produces}-${hashOf(agent.id, content).slice(0, 12)}`,
    type: agent.produces,
    name: agent.id,
    phase: agent.phase,
    content,
  };
}

export function inputFor(
  agent: AgentDefinition,
  idea: Idea,
  visible: readonly ArtifactView[],
  options: PhaseOptions = {},
): AgentInput {
  const artifacts: Record<string, ArtifactView[]> = {};
  for (const view of visible) {
    if (!agent.reads.includes(view.type)) continue;
    const list = artifacts[view.type] ?? [];
    list.push(view);
    artifacts[view.type] = list;
  }
  return {
    runId: 'run-sim',
    phase: agent.phase,
    idea,
    artifacts,
    hints: options.hints ?? [],
    attempt: options.attempt ?? 1,
  };
}

/** Runs every agent of the phase once; returns the phase's artifacts. */
export function runPhase(
  phase: string,
  idea: Idea,
  upstream: readonly ArtifactView[],
  options: PhaseOptions = {},
): ArtifactView[] {
  const produced: ArtifactView[] = [];
  for (const agent of agentsForPhase(phase)) {
    const visible = options.parallel === true ? upstream : [...upstream, ...produced];
    const input = inputFor(agent, idea, visible, options);
    const output = agent.offline(input);
    const delivered = options.transform === undefined ? output : options.transform(agent, output, input);
    produced.push(artifactView(agent, agent.outputSchema.parse(delivered)));
  }
  return produced;
}

export function evaluatePhase(phase: string, artifacts: readonly ArtifactView[]): GuardReport {
  const [guard] = guardsFor(phase);
  if (guard === undefined) throw new Error(`no guard for phase ${phase}`);
  return guard.evaluate(artifacts);
}

export interface PhaseOutcome {
  phase: string;
  attempts: number;
  passed: boolean;
  artifacts: ArtifactView[];
  report: GuardReport;
  /** Failed rubrics per attempt. */
  failures: string[][];
}

export interface LoopOptions {
  parallel?: boolean;
  /** Applied to every agent output of every attempt (see OutputTransform). */
  transform?: OutputTransform;
}

/** Loop-until-pass for one phase: on failure, the fix hints of the failed rubrics go to the next attempt. */
export function runPhaseUntilPass(
  phase: string,
  idea: Idea,
  upstream: readonly ArtifactView[],
  maxAttempts = 3,
  options: LoopOptions = {},
): PhaseOutcome {
  const failures: string[][] = [];
  let hints: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const artifacts = runPhase(phase, idea, upstream, { ...options, hints, attempt });
    const report = evaluatePhase(phase, [...upstream, ...artifacts]);
    const failed = failedRubrics(report.metrics, TEST_RUBRICS[phase] ?? {});
    failures.push(failed);
    if (failed.length === 0 || attempt >= maxAttempts) {
      return { phase, attempts: attempt, passed: failed.length === 0, artifacts, report, failures };
    }
    hints = [...hints, ...failed.flatMap((rubric) => fixHintsFor(rubric))];
  }
}

export interface SimulatedRun {
  artifacts: ArtifactView[];
  outcomes: PhaseOutcome[];
}

/** Every phase in canonical order (a topological order of the phase DAG), each looping until it passes. */
export function simulateRun(
  idea: Idea,
  options: { maxAttempts?: number; parallel?: boolean } = {},
): SimulatedRun {
  const artifacts: ArtifactView[] = [];
  const outcomes: PhaseOutcome[] = [];
  for (const phase of PHASE_NAMES) {
    const outcome = runPhaseUntilPass(phase, idea, artifacts, options.maxAttempts ?? 3, {
      parallel: options.parallel ?? false,
    });
    outcomes.push(outcome);
    artifacts.push(...outcome.artifacts);
  }
  return { artifacts, outcomes };
}
