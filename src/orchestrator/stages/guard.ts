import type { GuardOutput } from '../catalog.ts';
import { artifactView, attemptArtifacts } from './artifacts.ts';
import type { PhaseStageContext, StageResult } from './context.ts';
import { enterStage } from './progress.ts';

/** Guard: the phase's guards (code, not a model) evaluate the attempt's artifacts into metrics. */
export async function guardStage(
  ctx: PhaseStageContext,
  input: { attempt: number },
): Promise<StageResult<GuardOutput[]>> {
  await enterStage(ctx, input.attempt, 'guard', 67);
  const views = (await attemptArtifacts(ctx, input.attempt)).map(artifactView);
  return { value: ctx.deps.catalog.guardsFor(ctx.phase).map((g) => g.evaluate(views)) };
}
