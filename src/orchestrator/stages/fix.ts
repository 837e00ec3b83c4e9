import type { GateResult } from '../../core/schemas/gate-result.ts';
import { type AttemptState, decisionEntry, type PhaseStageContext, type StageResult } from './context.ts';

/**
 * Loop-until-pass after a failed gate: a fix plan for each failure reason (the catalog's auto-fix
 * strategies), the decision recorded, and `phase.retry` announcing the next attempt.
 */

export interface AutoFix extends AttemptState {
  strategies: Array<{ rubric: string; strategy: string }>;
}

/** The fix plans of the gate's reasons; no named agents in any plan means every agent runs again. */
export function planFix(ctx: PhaseStageContext, input: { gate: GateResult }): AutoFix {
  const plans = input.gate.reasons.map((r) => ctx.deps.catalog.fixPlanFor(r));
  const rerunAgents = plans.some((p) => p.agents.length === 0)
    ? []
    : [...new Set(plans.flatMap((p) => p.agents))];
  return {
    hints: [...new Set(plans.flatMap((p) => p.hints))],
    rerunAgents,
    strategies: plans.map((p) => ({ rubric: p.rubric, strategy: p.strategy })),
  };
}

export function fixStage(
  ctx: PhaseStageContext,
  input: { attempt: number; gate: GateResult; fix: AutoFix },
): StageResult<AttemptState> {
  const { attempt, gate, fix } = input;
  return {
    value: { hints: fix.hints, rerunAgents: fix.rerunAgents },
    ledger: [
      decisionEntry(
        ctx,
        {
          phase: ctx.phase,
          attempt,
          decision: 'auto-fix',
          strategies: fix.strategies,
          rerunAgents: fix.rerunAgents,
          hints: fix.hints,
        },
        { by: 'loop-until-pass', reasons: gate.reasons },
      ),
    ],
    events: [
      {
        type: 'phase.retry',
        runId: ctx.runId,
        phase: ctx.phase,
        payload: {
          attempt: attempt + 1,
          maxAttempts: ctx.plan.maxGateAttempts,
          reasons: gate.reasons,
          hints: fix.hints,
        },
      },
    ],
  };
}
