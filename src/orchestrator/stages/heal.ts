import type { ArtifactView } from '../../core/agent.ts';
import { GENERALIST } from '../agent-task.ts';
import { type DispatchOutcome, dispatchFailure, dispatchPhase } from '../dispatch.ts';
import { planWaves } from '../phase-waves.ts';
import { type AttemptState, decisionEntry, type PhaseStageContext, type StageResult } from './context.ts';
import { readSignal } from './progress.ts';

/**
 * Heal: an agent whose task failed all its attempts is a blocking doer; the orchestrator's generalist
 * completes its task (self-execution, marked in provenance). The gate then asks for a waiver: work
 * the doer could not do never passes a gate by itself. Two calls: `healDecision` says whom to heal
 * (its ledger decision is recorded before any task is enqueued), `healStage` dispatches them.
 */

export interface Healed {
  retried: string[];
}

/** The self-execution decision for the failed tasks, or no agents when none failed. */
export function healDecision(
  ctx: PhaseStageContext,
  input: { attempt: number; failed: DispatchOutcome['failed'] },
): StageResult<ReadonlySet<string>> {
  const { attempt, failed } = input;
  if (failed.length === 0) return { value: new Set() };
  const retry = new Set(failed.map((f) => f.agentId));
  return {
    value: retry,
    ledger: [
      decisionEntry(
        ctx,
        {
          phase: ctx.phase,
          attempt,
          decision: 'self-execution',
          agents: [...retry],
          failures: failed.map((f) => ({
            agentId: f.agentId,
            taskId: f.taskId,
            state: f.state,
            error: f.error?.message ?? null,
          })),
        },
        { by: 'heal', executor: GENERALIST },
      ),
    ],
  };
}

/** Runs the healed agents again with the self-execution strategy; any that fail again fail the phase. */
export async function healStage(
  ctx: PhaseStageContext,
  input: {
    attempt: number;
    retry: ReadonlySet<string>;
    state: AttemptState;
    context: readonly ArtifactView[];
  },
): Promise<StageResult<Healed>> {
  const { attempt, retry } = input;
  if (retry.size === 0) return { value: { retried: [] } };
  const { db, queue, catalog } = ctx.deps;
  const outcome = await dispatchPhase(
    { db, queue, catalog },
    {
      runId: ctx.runId,
      phase: ctx.phase,
      phaseRowId: ctx.phaseRowId,
      gateAttempt: attempt,
      plan: ctx.plan,
      waves: planWaves({ ...ctx.plan, agents: ctx.plan.agents.filter((a) => retry.has(a.id)) }, catalog),
      hints: [
        ...input.state.hints,
        'heal: the previous task for this agent failed; produce a complete, schema-valid output',
      ],
      rerun: retry,
      previous: [],
      context: input.context,
      unstick: { strategy: 'self-execution', rung: 5, reason: 'the doer failed all its attempts' },
      interrupted: () => readSignal(ctx),
      onProgress: async () => {},
    },
  );
  if (outcome.failed.length > 0) throw dispatchFailure(outcome.failed);
  return { value: { retried: [...retry] } };
}
