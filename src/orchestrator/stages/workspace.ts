import { ErrorCode, IdeaMineError } from '../../core/errors.ts';
import type { Workbench } from '../../core/workbench.ts';
import type { ArtifactRecord } from '../../storage/run-store.ts';
import { type AppliedCommit, applyCode, measureWorkspace, type StageContext } from '../workspace-stages.ts';
import { attemptArtifacts } from './artifacts.ts';
import type { PhaseStageContext, StageResult } from './context.ts';
import { enterStage } from './progress.ts';

/**
 * Apply and Measure, the stages between Dispatch and Guard that touch the run's workspace
 * (workspace-stages.ts does the work and records each commit and tool run as it happens).
 */

export async function applyStage(
  ctx: PhaseStageContext,
  input: { attempt: number },
): Promise<StageResult<AppliedCommit[]>> {
  await enterStage(ctx, input.attempt, 'apply', 60);
  const { workbench } = ctx.deps;
  if (!workbench) return { value: [] };
  const own = (await attemptArtifacts(ctx, input.attempt)).filter((a) => a.phase === ctx.phase);
  return { value: await applyCode(workspaceContext(ctx, workbench, input.attempt), inAgentOrder(ctx, own)) };
}

/** The ids of the tool reports the phase's `measure` tools produced on the committed workspace. */
export async function measureStage(
  ctx: PhaseStageContext,
  input: { attempt: number },
): Promise<StageResult<string[]>> {
  await enterStage(ctx, input.attempt, 'measure', 63);
  if (ctx.plan.measure.length === 0) return { value: [] };
  const { workbench } = ctx.deps;
  if (!workbench)
    throw new IdeaMineError(
      ErrorCode.invalidConfig,
      `${ctx.phase} measures with ${ctx.plan.measure.join(', ')} but this runtime has no workspace`,
    );
  const reports = await measureWorkspace(workspaceContext(ctx, workbench, input.attempt), ctx.plan);
  return { value: reports.map((a) => a.id) };
}

function workspaceContext(ctx: PhaseStageContext, workbench: Workbench, attempt: number): StageContext {
  return {
    db: ctx.deps.db,
    workbench,
    runId: ctx.runId,
    phase: ctx.phase,
    attempt,
    generation: ctx.generation,
  };
}

/** Code is committed in the phase's agent order, so a later agent's patch lands on an earlier one's tree. */
function inAgentOrder(ctx: PhaseStageContext, artifacts: readonly ArtifactRecord[]): ArtifactRecord[] {
  const order = new Map(ctx.plan.agents.map((a, i) => [a.id, i]));
  return [...artifacts].sort((a, b) => (order.get(a.name) ?? order.size) - (order.get(b.name) ?? order.size));
}
