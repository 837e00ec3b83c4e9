import type { GateResult } from '../../core/schemas/gate-result.ts';
import type { LedgerAppend } from '../../observability/ledger.ts';
import type { Queryable } from '../../storage/database.ts';
import {
  type ArtifactRecord,
  activeWaivers,
  insertEvidencePack,
  updatePhase,
} from '../../storage/run-store.ts';
import { GENERALIST } from '../agent-task.ts';
import type { GuardOutput } from '../catalog.ts';
import { detectRepeat, type FixLoopContext, recordRepeat } from '../fix-loop-stage.ts';
import { evaluateGate, type MetricOrigin, type Metrics } from '../gatekeeper.ts';
import { isToolReport, measuredMetrics, unmeasuredReasons } from '../measured-metrics.ts';
import type { ClarifyResult } from '../qav/clarify.ts';
import type { PhaseStageContext, StageResult } from './context.ts';

/**
 * Handoff: the attempt's evidence pack (artifacts, guard reports, Q/A/V summary, metrics) is stored
 * and the Gatekeeper judges it, in the handoff step's transaction. A failed gate carries the auto-fix
 * hints of its reasons, and a measuring phase whose round repeated the previous one stores the
 * fix-loop report in the same transaction (fix-loop-stage.ts).
 */

export interface HandoffInput {
  tx: Queryable;
  attempt: number;
  artifacts: readonly ArtifactRecord[];
  guardReports: readonly GuardOutput[];
  qav: ClarifyResult;
  /** Agents the heal stage completed by self-execution. */
  healed: readonly string[];
}

export function fixLoopContext(ctx: PhaseStageContext): FixLoopContext {
  return { runId: ctx.runId, phase: ctx.phase, plan: ctx.plan, generation: ctx.generation };
}

export async function handoffStage(
  ctx: PhaseStageContext,
  input: HandoffInput,
): Promise<StageResult<GateResult>> {
  const { tx, attempt, artifacts, qav, healed } = input;
  const { metrics, origins } = evidenceMetrics(ctx, input);
  const own = artifacts.filter((a) => a.phase === ctx.phase);
  const evidencePackId = await insertEvidencePack(tx, {
    runId: ctx.runId,
    phase: ctx.phase,
    attempt,
    artifacts: own.map((a) => ({ id: a.id, type: a.type, hash: a.hash })),
    guardReports: [...input.guardReports],
    qavSummary: {
      questions: qav.questions,
      accepted: qav.accepted,
      rejected: qav.rejected,
      unknown: qav.unknown,
      grounding: qav.grounding,
      assumptionIds: qav.assumptionIds,
      healed: [...healed],
    },
    kmapRefs: qav.frameIds,
    metrics,
  });
  const rubrics = {
    ...ctx.plan.rubrics,
    fission_coverage_min: ctx.plan.refinery.fissionMinCoverage,
    fusion_consensus_min: ctx.plan.refinery.fusionMinConsensus,
    // Self-execution never passes a gate by itself: the rubric fails unless a waiver covers it.
    ...(healed.length > 0 ? { self_executed_max: 0 } : {}),
  };
  const gate = evaluateGate({
    phase: ctx.phase,
    attempt,
    rubrics,
    metrics: metrics as Metrics,
    waiversAllowed: [...ctx.plan.waiversAllowed, ...(healed.length > 0 ? ['self_executed_max'] : [])],
    waivers: await activeWaivers(tx, ctx.runId, ctx.phase),
    now: ctx.deps.now?.() ?? new Date(),
    evidence: {
      measured: ctx.plan.measuredMetrics,
      origins,
      unmeasured: unmeasuredReasons(own),
    },
  });
  const hints = gate.pass
    ? []
    : [...new Set(gate.reasons.flatMap((r) => ctx.deps.catalog.fixPlanFor(r).hints))];
  const repeat = await detectRepeat(tx, fixLoopContext(ctx), attempt, gate);
  const ledger: LedgerAppend[] = [
    {
      runId: ctx.runId,
      type: 'gate',
      data: {
        phase: ctx.phase,
        attempt,
        pass: gate.pass,
        score: gate.score,
        reasons: gate.reasons,
        // The waivers that let a failing rubric through: the dossier's gate row names them.
        waiversApplied: gate.waiversApplied ?? [],
        evidencePackId,
      },
      provenance: { gatekeeper: 'code', rubrics },
    },
  ];
  // Stored in the handoff's transaction: the step journal holds the gate and this decision
  // together, so a crash never loses one of them or writes it twice.
  if (repeat) ledger.push((await recordRepeat(tx, fixLoopContext(ctx), repeat, evidencePackId)).decision);
  await updatePhase(tx, ctx.runId, ctx.phase, { gateAttempts: attempt, evidencePackId });
  const willRetry = !gate.pass && attempt < ctx.plan.maxGateAttempts && !repeat;
  const scope = { runId: ctx.runId, phase: ctx.phase };
  return {
    value: { ...gate, evidencePackId, ...(hints.length ? { hints } : {}) },
    ledger,
    events: [
      { type: 'phase.ready', ...scope, payload: { attempt, evidencePackId } },
      gate.pass
        ? {
            type: 'phase.gate.passed',
            ...scope,
            payload: {
              attempt,
              score: gate.score,
              evidencePackId,
              waiversApplied: gate.waiversApplied ?? [],
            },
          }
        : {
            type: 'phase.gate.failed',
            ...scope,
            payload: {
              attempt,
              score: gate.score,
              evidencePackId,
              reasons: gate.reasons,
              failedRubrics: gate.rubricResults.filter((r) => !r.pass && !r.waived).map((r) => r.rubric),
              hints,
              willRetry,
            },
          },
    ],
  };
}

/**
 * The attempt's metrics and where each came from: guards' figures first, then tool reports of this
 * attempt (which replace whatever a guard derived from agent output), self-execution, and Q/A/V.
 */
function evidenceMetrics(ctx: PhaseStageContext, input: HandoffInput) {
  const { artifacts, qav, healed } = input;
  const metrics: Record<string, number | boolean> = {};
  const origins: Record<string, MetricOrigin> = {};
  for (const r of input.guardReports) {
    Object.assign(metrics, r.metrics);
    for (const m of Object.keys(r.metrics)) origins[m] = { source: 'agent', by: `guard ${r.guardId}` };
  }
  const latest = (type: string) => artifacts.filter((a) => a.type === type).at(-1)?.content;
  for (const [metric, measured] of Object.entries(
    measuredMetrics(
      artifacts.filter((a) => a.phase === ctx.phase && isToolReport(a)),
      latest('UserStories'),
      latest('PerfBudgets'),
    ),
  )) {
    const { value, ...origin } = measured;
    metrics[metric] = value;
    origins[metric] = origin;
  }
  if (healed.length > 0) {
    metrics['self_executed'] = healed.length;
    origins['self_executed'] = {
      source: 'agent',
      by: GENERALIST,
      detail: `completed by the orchestrator's generalist after the doer failed: ${healed.join(', ')}; accepting it needs a waiver`,
    };
  }
  Object.assign(metrics, {
    fission_coverage: qav.coverage,
    grounded_coverage: qav.groundedCoverage,
    fusion_consensus: qav.consensus,
    kmap_conflicts: qav.conflicts,
    qav_grounding: qav.grounding,
    user_prompts: qav.userPrompts,
  });
  return { metrics, origins };
}
