import type { ArtifactView } from '../../core/agent.ts';
import { hashOf } from '../../core/ids.ts';
import type { AgentAssignment } from '../../core/schemas/phase-plan.ts';
import type { Queryable } from '../../storage/database.ts';
import { type ArtifactRecord, insertArtifact } from '../../storage/run-store.ts';
import { aggregate } from '../aggregation.ts';
import { type DispatchOutcome, dispatchPhase } from '../dispatch.ts';
import { registerCompensation } from '../sagas.ts';
import type { AttemptState, PhaseStageContext, StageResult } from './context.ts';
import { enterStage, readSignal, reportProgress } from './progress.ts';

/**
 * Dispatch: the attempt's agents as tasks on the queue, wave by wave (dispatch.ts), then, in the
 * step's commit, the aggregates of same-type outputs and the saga that retracts them all.
 */

export interface DispatchInput {
  attempt: number;
  waves: AgentAssignment[][];
  state: AttemptState;
  /** Agents to run this attempt; the others carry their previous artifact forward. */
  rerun: ReadonlySet<string>;
  previous: readonly ArtifactRecord[];
  context: readonly ArtifactView[];
}

/** What the dispatch step stores: the attempt's artifacts (agents' and aggregates') and the tasks that failed. */
export interface DispatchedAttempt {
  artifactIds: string[];
  failed: DispatchOutcome['failed'];
}

export async function dispatchStage(
  ctx: PhaseStageContext,
  input: DispatchInput,
): Promise<StageResult<DispatchOutcome>> {
  const { db, queue, catalog } = ctx.deps;
  await enterStage(ctx, input.attempt, 'dispatch', 0);
  const outcome = await dispatchPhase(
    { db, queue, catalog },
    {
      runId: ctx.runId,
      phase: ctx.phase,
      phaseRowId: ctx.phaseRowId,
      gateAttempt: input.attempt,
      plan: ctx.plan,
      waves: input.waves,
      hints: input.state.hints,
      rerun: input.rerun,
      previous: input.previous,
      context: input.context,
      interrupted: () => readSignal(ctx),
      onProgress: (done, total) => reportProgress(ctx, input.attempt, 'dispatch', { done, total }),
    },
  );
  return { value: outcome };
}

/** The dispatch step's commit: aggregates and their compensation, in the step's transaction. */
export async function commitDispatch(
  ctx: PhaseStageContext,
  input: { tx: Queryable; attempt: number; outcome: DispatchOutcome },
): Promise<StageResult<DispatchedAttempt>> {
  const { tx, attempt, outcome } = input;
  const aggregates = await aggregateOutputs(ctx, tx, attempt, outcome.artifacts);
  const artifactIds = [...outcome.artifacts, ...aggregates].map((a) => a.id);
  await registerCompensation(tx, {
    runId: ctx.runId,
    phase: ctx.phase,
    stepKey: `attempt-${attempt}/dispatch`,
    action: 'retract-artifacts',
    args: { artifactIds },
  });
  return { value: { artifactIds, failed: outcome.failed } };
}

/** Two or more outputs of one type become one `<type>.aggregate` artifact, by the phase's strategy. */
async function aggregateOutputs(
  ctx: PhaseStageContext,
  tx: Queryable,
  attempt: number,
  artifacts: readonly ArtifactRecord[],
): Promise<ArtifactRecord[]> {
  const byType = new Map<string, ArtifactRecord[]>();
  for (const a of artifacts) byType.set(a.type, [...(byType.get(a.type) ?? []), a]);
  const out: ArtifactRecord[] = [];
  for (const [type, group] of [...byType.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (group.length < 2) continue;
    const ordered = [...group].sort((a, b) => a.name.localeCompare(b.name));
    const content = aggregate(
      ordered.map((a) => a.content),
      ctx.plan.aggregation,
    );
    const { artifact } = await insertArtifact(tx, {
      runId: ctx.runId,
      phase: ctx.phase,
      type: `${type}.aggregate`,
      name: `${ctx.phase}.${type}`,
      content,
      hash: hashOf(content),
      provenance: {
        source: 'aggregation',
        strategy: ctx.plan.aggregation,
        inputs: ordered.map((a) => a.id),
        inputHashes: Object.fromEntries(ordered.map((a) => [a.id, a.hash])),
        gateAttempt: attempt,
      },
      idempotencyKey: `aggregate:${ctx.runId}:${ctx.phase}:${attempt}:${type}`,
    });
    out.push(artifact);
  }
  return out;
}
