import { hashOf } from '../core/ids.ts';
import type { GateResult } from '../core/schemas/gate-result.ts';
import type { PhasePlan } from '../core/schemas/phase-plan.ts';
import type { LedgerAppend } from '../observability/ledger.ts';
import { inputProvenance } from '../observability/provenance.ts';
import type { Queryable } from '../storage/database.ts';
import { type ArtifactRecord, insertArtifact, listArtifacts } from '../storage/run-store.ts';
import {
  FIX_LOOP_REPORT,
  type FixLoopRepeat,
  FixLoopReport,
  fixLoopReport,
  fixRound,
  repeatedRound,
} from './fix-loop.ts';
import { isToolReport } from './measured-metrics.ts';

/**
 * The fix-loop check as the phase coordinator runs it, inside the handoff step's transaction: the
 * gate verdict and a repeated round's report commit together in the step journal, so a crash never
 * loses the decision or writes it twice, and a resumed handoff (which re-runs the whole transaction)
 * reaches the same verdict, because both rounds are computed from stored artifacts, not from memory.
 */

export interface FixLoopContext {
  runId: string;
  phase: string;
  plan: Pick<PhasePlan, 'maxGateAttempts' | 'measure' | 'measuredMetrics'>;
  /** The phase's retry generation: rounds and reports of an earlier generation are not this one's. */
  generation?: number;
}

const generationOf = (a: ArtifactRecord) => Number(a.provenance['generation'] ?? 0);

/** One attempt's round as stored: its tool reports and the patches its fixers returned (not carried forward). */
function roundArtifacts(attempt: number, artifacts: readonly ArtifactRecord[], generation: number) {
  const own = artifacts.filter((a) => Number(a.provenance['gateAttempt']) === attempt);
  return {
    reports: own.filter((a) => isToolReport(a) && generationOf(a) === generation),
    patches: own.filter(
      (a) =>
        a.type === 'CodePatch' &&
        a.provenance['source'] === 'agent' &&
        a.provenance['carriedFrom'] === undefined,
    ),
  };
}

function roundOf(attempt: number, artifacts: readonly ArtifactRecord[], generation: number) {
  const { reports, patches } = roundArtifacts(attempt, artifacts, generation);
  return fixRound({ attempt, reports, patches: patches.map((a) => a.content) });
}

/**
 * After a failed gate attempt N ≥ 2 of a phase that measures and fails on a measured metric: whether
 * round N repeats round N−1. The last attempt is not checked: it escalates anyway.
 */
export async function detectRepeat(
  q: Queryable,
  ctx: FixLoopContext,
  attempt: number,
  gate: Pick<GateResult, 'pass' | 'rubricResults'>,
): Promise<FixLoopRepeat | undefined> {
  const { plan } = ctx;
  if (gate.pass || attempt < 2 || attempt >= plan.maxGateAttempts || plan.measure.length === 0)
    return undefined;
  const measured = new Set(plan.measuredMetrics);
  if (!gate.rubricResults.some((r) => !r.pass && !r.waived && measured.has(r.metric))) return undefined;
  const artifacts = await listArtifacts(q, ctx.runId, { phase: ctx.phase });
  const g = ctx.generation ?? 0;
  return repeatedRound(roundOf(attempt - 1, artifacts, g), roundOf(attempt, artifacts, g));
}

/**
 * The structured failure report of a repeated round: an artifact, stored here, and a ledger decision,
 * returned for the handoff stage to record after its gate entry.
 */
export async function recordRepeat(
  tx: Queryable,
  ctx: FixLoopContext,
  repeat: FixLoopRepeat,
  evidencePackId: string,
): Promise<{ report: FixLoopReport; decision: LedgerAppend }> {
  const content = fixLoopReport(ctx.phase, ctx.plan.maxGateAttempts, repeat, evidencePackId);
  // Its inputs are the two rounds it compared: their tool reports and their fixers' patches.
  const artifacts = await listArtifacts(tx, ctx.runId, { phase: ctx.phase });
  const compared = [repeat.repeats, repeat.attempt].flatMap((attempt) => {
    const round = roundArtifacts(attempt, artifacts, ctx.generation ?? 0);
    return [...round.reports, ...round.patches].map((a) => a.id);
  });
  const { artifact } = await insertArtifact(tx, {
    runId: ctx.runId,
    phase: ctx.phase,
    type: FIX_LOOP_REPORT,
    name: `${ctx.phase}.fix-loop`,
    content,
    hash: hashOf(content),
    provenance: {
      ...(await inputProvenance(tx, compared)),
      source: 'orchestrator',
      by: 'loop-until-pass',
      gateAttempt: repeat.attempt,
      generation: ctx.generation ?? 0,
    },
    idempotencyKey: `fix-loop:${ctx.runId}:${ctx.phase}:${repeat.attempt}${ctx.generation ? `#${ctx.generation}` : ''}`,
  });
  const decision: LedgerAppend = {
    runId: ctx.runId,
    type: 'decision',
    data: {
      decision: 'fix-loop-repeated',
      phase: ctx.phase,
      attempt: repeat.attempt,
      attempts: content.attempts,
      maxAttempts: content.maxAttempts,
      repeats: content.repeats,
      failingTests: content.failingTests,
      failingTestCount: content.failingTestCount,
      errorSignature: content.errorSignature,
      diffHash: content.diffHash,
      reason: content.reason,
    },
    provenance: { by: 'loop-until-pass', artifactId: artifact.id },
  };
  return { report: content, decision };
}

/** The FixLoopReport the handoff of `attempt` recorded, if its round repeated the previous one. */
export async function recordedRepeat(
  q: Queryable,
  ctx: FixLoopContext,
  attempt: number,
): Promise<FixLoopReport | undefined> {
  if (attempt < 2 || ctx.plan.measure.length === 0) return undefined;
  const report = (await listArtifacts(q, ctx.runId, { phase: ctx.phase })).find(
    (a) =>
      a.type === FIX_LOOP_REPORT &&
      Number(a.provenance['gateAttempt']) === attempt &&
      generationOf(a) === (ctx.generation ?? 0),
  );
  return report ? FixLoopReport.parse(report.content) : undefined;
}
