import type { Queryable } from '../../storage/database.ts';
import type { ArtifactRecord } from '../../storage/run-store.ts';
import { BudgetAccount } from '../budget.ts';
import { isToolReport } from '../measured-metrics.ts';
import { type ClarifyResult, clarify } from '../qav/clarify.ts';
import { registerCompensation } from '../sagas.ts';
import { CODE_ARTIFACT_TYPES } from '../workspace-stages.ts';
import { artifactView } from './artifacts.ts';
import type { PhaseStageContext, StageResult } from './context.ts';
import { enterStage } from './progress.ts';

/**
 * Clarify: Q/A/V over this phase's draft, checked against the upstream artifacts. Later gate
 * attempts ask more questions (the "strict Q/A/V" fix for coverage and ambiguity failures).
 */
export async function clarifyStage(
  ctx: PhaseStageContext,
  input: { attempt: number; artifacts: readonly ArtifactRecord[] },
): Promise<StageResult<ClarifyResult>> {
  const { attempt, artifacts } = input;
  await enterStage(ctx, attempt, 'clarify', 75);
  // Tool reports are measurements and code is code: neither is a draft whose claims need grounding
  // (and their timings would make the triad's prompts differ between a run and its replay).
  const prose = artifacts.filter((a) => !isToolReport(a) && !CODE_ARTIFACT_TYPES.has(a.type));
  const allowance = await new BudgetAccount(ctx.deps.db, ctx.runId, ctx.phase).allowance();
  const result = await clarify({
    db: ctx.deps.db,
    model: ctx.deps.model,
    runId: ctx.runId,
    phase: ctx.phase,
    artifacts: prose.filter((a) => a.phase === ctx.phase).map(artifactView),
    references: prose.filter((a) => a.phase !== ctx.phase).map(artifactView),
    thresholds: {
      fissionMinCoverage: ctx.plan.refinery.fissionMinCoverage,
      fusionMinConsensus: ctx.plan.refinery.fusionMinConsensus,
    },
    maxQuestions: Math.min(40, 8 + 8 * attempt),
    budget: allowance,
  });
  return { value: result };
}

/**
 * The clarify step's commit: the triad's usage is booked with the step's record (a crash before this
 * commit re-runs the triad and books it once; after it, the stored step is replayed and books
 * nothing), and the assumptions it made get a saga that invalidates them.
 */
export async function commitClarify(
  ctx: PhaseStageContext,
  input: { tx: Queryable; attempt: number; result: ClarifyResult },
): Promise<StageResult<ClarifyResult>> {
  const { tx, attempt, result } = input;
  await new BudgetAccount(ctx.deps.db, ctx.runId, ctx.phase).settle(
    { tokens: 0, usd: 0 },
    { tokens: result.usage.inputTokens + result.usage.outputTokens, usd: result.usage.costUsd },
    tx,
  );
  if (result.assumptionIds.length > 0) {
    await registerCompensation(tx, {
      runId: ctx.runId,
      phase: ctx.phase,
      stepKey: `attempt-${attempt}/clarify`,
      action: 'invalidate-assumptions',
      args: { assumptionIds: result.assumptionIds },
    });
  }
  return { value: result };
}
