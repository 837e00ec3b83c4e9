import type { GateResult } from '../../core/schemas/gate-result.ts';
import type { Queryable } from '../../storage/database.ts';
import { recordPhaseMetrics } from '../../storage/phase-metrics-store.ts';
import { phaseUsage } from '../../storage/phase-stage-store.ts';
import { updatePhase } from '../../storage/run-store.ts';
import type { FixLoopReport } from '../fix-loop.ts';
import { decisionEntry, type PhaseStageContext, type StageResult } from './context.ts';

/**
 * How a phase ends, in the transaction of its last step: its row, its phase_metrics row, and
 * `phase.complete`. A phase passes on its gate, or fails: its gate failed every attempt, its
 * timebox ran out, or its fix loop repeated (then the caller compensates it, see `escalateStage`).
 */

/** The gate verdict of a phase whose timebox ran out: it fails, with the timebox as the reason. */
export function timeboxGate(ctx: PhaseStageContext, attempt: number): GateResult {
  return {
    phase: ctx.phase,
    attempt,
    pass: false,
    score: 0,
    reasons: [`timebox ${ctx.plan.timebox} exceeded`],
    rubricResults: [],
  };
}

/** The escalation decision of a failed phase, to be recorded before its compensations run. */
export function escalateStage(
  ctx: PhaseStageContext,
  input: { attempt: number; gate: GateResult; repeat?: FixLoopReport | undefined },
): StageResult<{ code: string; message: string; reasons: string[]; fixLoop?: FixLoopReport }> {
  const { attempt, gate, repeat } = input;
  const failed = `${ctx.phase} gate failed ${attempt} times`;
  return {
    value: {
      code: 'GATE_FAILED',
      message: repeat
        ? `${failed} and the fix loop stopped (${repeat.maxAttempts} attempts allowed): ${repeat.reason}. Last gate: ${gate.reasons.join('; ')}`
        : `${failed}: ${gate.reasons.join('; ')}`,
      reasons: gate.reasons,
      ...(repeat ? { fixLoop: repeat } : {}),
    },
    ledger: [
      decisionEntry(
        ctx,
        {
          phase: ctx.phase,
          decision: 'escalate',
          attempts: attempt,
          reasons: gate.reasons,
          ...(repeat ? { stoppedBy: 'fix-loop-repeated', fixLoop: repeat.reason } : {}),
        },
        { by: 'loop-until-pass' },
      ),
    ],
  };
}

/** The phase's end: row, metrics and the `phase.complete` event (with the failed gate's evidence pack). */
export async function concludeStage(
  ctx: PhaseStageContext,
  input: {
    tx: Queryable;
    outcome: 'passed' | 'failed';
    attempt: number;
    /** The failure recorded on a failed phase's row. */
    error?: unknown;
    evidencePackId?: string | undefined;
  },
): Promise<StageResult<undefined>> {
  const { tx, outcome, attempt } = input;
  await updatePhase(
    tx,
    ctx.runId,
    ctx.phase,
    outcome === 'passed'
      ? { status: 'passed', completed: true, stage: 'handoff' }
      : { status: 'failed', completed: true, error: input.error },
  );
  await recordPhaseMetrics(tx, {
    runId: ctx.runId,
    phase: ctx.phase,
    generation: ctx.generation,
    outcome,
    gateAttempts: attempt,
    stepScope: ctx.stepScope,
  });
  return {
    value: undefined,
    events: [
      {
        type: 'phase.complete',
        runId: ctx.runId,
        phase: ctx.phase,
        payload: {
          attempts: attempt,
          outcome,
          durationMs: Date.now() - ctx.startedAt,
          usage: await phaseUsage(tx, ctx.runId, ctx.phase),
          ...(input.evidencePackId ? { evidencePackId: input.evidencePackId } : {}),
        },
      },
    ],
  };
}
