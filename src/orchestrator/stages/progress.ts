import type { PhaseStage } from '../../core/phases.ts';
import { getPhases, getRun, updatePhase } from '../../storage/run-store.ts';
import type { Interruption } from '../dispatch.ts';
import type { PhaseStageContext } from './context.ts';
import { recordStageNow } from './recorder.ts';

/**
 * Stage bookkeeping shared by every stage: the phase row's current stage, `phase.progress` events,
 * and the persisted pause/cancel/timebox signal the coordinator honours between stages.
 */

export async function enterStage(
  ctx: PhaseStageContext,
  attempt: number,
  stage: PhaseStage,
  pct: number,
): Promise<void> {
  await updatePhase(ctx.deps.db, ctx.runId, ctx.phase, { stage });
  await reportProgress(ctx, attempt, stage, { pct });
}

/** A `phase.progress` event: `pct` when given, else 10–50 % by the share of tasks done. */
export async function reportProgress(
  ctx: PhaseStageContext,
  attempt: number,
  stage: PhaseStage,
  at: { done?: number; total?: number; pct?: number },
): Promise<void> {
  const share = at.total ? (at.done ?? 0) / at.total : 0;
  await recordStageNow(ctx.deps.db, {
    events: [
      {
        type: 'phase.progress',
        runId: ctx.runId,
        phase: ctx.phase,
        payload: {
          attempt,
          stage,
          pct: at.pct ?? Math.round(10 + share * 40),
          tasksDone: at.done ?? 0,
          tasksTotal: at.total ?? ctx.plan.agents.length,
        },
      },
    ],
  });
}

/** Reads the persisted run/phase signal: the coordinator honours pause and cancel between stages and while waiting. */
export async function readSignal(ctx: PhaseStageContext): Promise<Interruption | undefined> {
  const run = await getRun(ctx.deps.db, ctx.runId);
  if (run?.signal) return run.signal;
  const phase = (await getPhases(ctx.deps.db, ctx.runId)).find((p) => p.phase === ctx.phase);
  return phase?.signal === 'pause' || phase?.signal === 'cancel' || phase?.signal === 'timebox'
    ? phase.signal
    : undefined;
}

/** Stops the phase on a signal: paused or cancelled in its row (a timebox is escalated by the caller). */
export async function interrupt(
  ctx: PhaseStageContext,
  signal: Interruption,
  attempt: number,
): Promise<'paused' | 'cancelled' | 'timebox'> {
  if (signal === 'timebox') return 'timebox';
  const status = signal === 'pause' ? 'paused' : 'cancelled';
  await updatePhase(ctx.deps.db, ctx.runId, ctx.phase, { status });
  if (signal === 'pause')
    await recordStageNow(ctx.deps.db, {
      events: [
        { type: 'phase.paused', runId: ctx.runId, phase: ctx.phase, payload: { attempt, reason: 'signal' } },
      ],
    });
  return status;
}
