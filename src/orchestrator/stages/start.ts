import type { Queryable } from '../../storage/database.ts';
import { scheduleTimebox } from '../../storage/phase-stage-store.ts';
import { updatePhase } from '../../storage/run-store.ts';
import type { PhaseStageContext, StageResult } from './context.ts';

/** The phase starts: its row is running, its timebox armed, and `phase.started` announces its agents. */
export async function startStage(
  ctx: PhaseStageContext,
  input: { tx: Queryable },
): Promise<StageResult<undefined>> {
  const { plan } = ctx;
  await updatePhase(input.tx, ctx.runId, ctx.phase, { status: 'running', started: true, stage: 'plan' });
  await scheduleTimebox(input.tx, {
    key: `timebox:${ctx.stepScope}`,
    runId: ctx.runId,
    timeboxMs: plan.timeboxMs,
    payload: { phaseRowId: ctx.phaseRowId, phase: ctx.phase, timebox: plan.timebox },
  });
  return {
    value: undefined,
    events: [
      {
        type: 'phase.started',
        runId: ctx.runId,
        phase: ctx.phase,
        payload: {
          attempt: 1,
          agents: plan.agents.map((a) => a.id),
          budgets: plan.budgets,
          timeboxMs: plan.timeboxMs,
        },
      },
    ],
  };
}
