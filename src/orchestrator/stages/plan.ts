import type { AgentAssignment } from '../../core/schemas/phase-plan.ts';
import { planWaves } from '../phase-waves.ts';
import type { PhaseStageContext, StageResult } from './context.ts';
import { enterStage } from './progress.ts';

/** Plan: the attempt's waves of agents, by the phase's parallelism. */
export async function planStage(
  ctx: PhaseStageContext,
  input: { attempt: number },
): Promise<StageResult<AgentAssignment[][]>> {
  await enterStage(ctx, input.attempt, 'plan', 0);
  return { value: planWaves(ctx.plan, ctx.deps.catalog) };
}
