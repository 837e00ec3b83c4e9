import { newId } from '../../core/ids.ts';
import { parseEventDraft } from '../../core/schemas/event.ts';
import type { Queryable } from '../../storage/database.ts';
import { appendEvents } from '../../storage/event-store.ts';
import {
  type FrameStatusChange,
  insertFrames,
  listTopicFrames,
  lockKnowledgeMap,
  type TopicConflict,
  updateFrameStatuses,
  upsertConflicts,
} from '../../storage/knowledge-map-store.ts';
import { keyTerms, normaliseText, sharedTerms } from './text-terms.ts';
import type { Answer, AssessedClaim, Claim, FrameDraft, FrameStatus, Question, Validation } from './types.ts';

/**
 * The Knowledge Refinery.
 * - Fission turns each accepted answer into atomic frames: one per statement whose citations the
 *   validator resolved. Ungrounded statements of an accepted answer never enter the map.
 * - Fusion groups a run's frames by normalised (subject, predicate), the "topic". Frames with the
 *   same normalised object are merged into the oldest one (status `merged`, `merged_into` set). A
 *   topic whose frames disagree on the object is a conflict: its canonical frames get status
 *   `conflict` and the topic gets a `kmap_conflicts` row. Nothing is deleted, so merged frames still
 *   count as sources: consensus = frames agreeing with the topic's majority object / all its frames,
 *   summed over the topics this delta touched.
 */

export interface RefinableBinding {
  question: Question;
  answer: Answer;
  validation: Validation;
  /** `<provider>:<model>` that wrote the answer. */
  model: string;
}

export function topicKey(subject: string, predicate: string): string {
  return `${normaliseText(subject)}\u001f${normaliseText(predicate)}`;
}

export function fission(bindings: readonly RefinableBinding[], runId: string, phase: string): FrameDraft[] {
  const drafts: FrameDraft[] = [];
  for (const { question, answer, validation, model } of bindings) {
    if (validation.verdict !== 'ACCEPT') continue;
    const { grounding, completeness, specificity, consistency } = validation.scores;
    const confidence = Math.round(((grounding + completeness + specificity + consistency) / 4) * 1000) / 1000;
    for (const index of validation.groundedStatements) {
      const statement = answer.statements[index];
      if (!statement) continue;
      drafts.push({
        subject: tidy(statement.subject),
        predicate: tidy(statement.predicate),
        object: tidy(statement.object),
        confidence,
        provenance: {
          runId,
          phase,
          questionId: question.id,
          question: question.text,
          claimIds: question.claimIds,
          citations: statement.citations,
          model,
        },
      });
    }
  }
  return drafts;
}

/**
 * Whether this delta's frames cover a claim: a frame from a question about the claim whose object
 * (or quotes) shares at least two of the claim's key terms. The term test keeps a question that
 * bundles three claims from covering the one its answer never addressed.
 */
export function claimCovered(claim: Claim, drafts: readonly FrameDraft[]): boolean {
  const needed = Math.min(2, claim.terms.length);
  return drafts.some((draft) => {
    if (!draft.provenance.claimIds.includes(claim.id)) return false;
    const said = keyTerms([draft.object, ...draft.provenance.citations.map((c) => c.quote)].join(' '));
    return sharedTerms(claim.terms, said).length >= needed;
  });
}

/**
 * Fission coverage: the share of the draft's claims the refinery has accounted for. A claim is
 * accounted for when it is grounded (supported from the start by another artifact or a stored frame,
 * or covered by a new frame) or when the triad examined it, could not ground it, and registered it as
 * an explicit assumption with a mitigation. Claims nobody examined (beyond the question budget) count
 * against coverage. Counting only grounded claims would make the 0.90 threshold unreachable for
 * early phases, whose drafts are mostly forward-looking statements that no evidence can yet support;
 * `groundedCoverage` reports that stricter share too. No claims at all is full coverage.
 */
export function fissionCoverage(
  claims: readonly AssessedClaim[],
  drafts: readonly FrameDraft[],
  assumedClaimIds: ReadonlySet<string> = new Set(),
): { coverage: number; groundedCoverage: number } {
  if (claims.length === 0) return { coverage: 1, groundedCoverage: 1 };
  const grounded = claims.filter((c) => c.support !== null || claimCovered(c, drafts));
  const accounted =
    grounded.length + claims.filter((c) => !grounded.includes(c) && assumedClaimIds.has(c.id)).length;
  const share = (n: number) => Math.round((n / claims.length) * 1000) / 1000;
  return { coverage: share(accounted), groundedCoverage: share(grounded.length) };
}

export interface RefineResult {
  /** Null when there was nothing to add (no event is emitted then). */
  deltaId: string | null;
  /** The frames this delta inserted, in order; every one is a row of kmap_frames. */
  frameIds: string[];
  /** Canonical (non-merged) frames of the topics this delta touched, after fusion. */
  canonicalIds: string[];
  merged: number;
  conflicts: number;
  consensus: number;
}

/**
 * Inserts the frames, fuses their topics and appends `kmap.delta.created` and
 * `kmap.fusion.complete`, all in the caller's transaction.
 */
export async function refine(
  tx: Queryable,
  channel: string,
  delta: { runId: string; phase: string; drafts: readonly FrameDraft[]; coverage: number },
): Promise<RefineResult> {
  const { runId, phase, drafts } = delta;
  if (drafts.length === 0) {
    return { deltaId: null, frameIds: [], canonicalIds: [], merged: 0, conflicts: 0, consensus: 1 };
  }
  // Serialises fusion per run: two phases refining at once (security and story-loop run in
  // parallel) would otherwise each miss the other's equal frames. Released at commit.
  await lockKnowledgeMap(tx, runId);
  const frameIds = await insertFrames(
    tx,
    runId,
    phase,
    drafts.map((d) => ({
      ...d,
      topicKey: topicKey(d.subject, d.predicate),
      objectKey: normaliseText(d.object),
    })),
  );
  const fusion = await fuse(tx, runId, phase, [
    ...new Set(drafts.map((d) => topicKey(d.subject, d.predicate))),
  ]);
  const deltaId = newId();
  const events = [
    parseEventDraft({
      type: 'kmap.delta.created',
      runId,
      phase,
      payload: { deltaId, frameIds, coverage: delta.coverage },
    }),
    parseEventDraft({
      type: 'kmap.fusion.complete',
      runId,
      phase,
      payload: { frameIds: fusion.canonicalIds, mergedCount: fusion.merged, consensus: fusion.consensus },
    }),
  ];
  await appendEvents(tx, channel, events);
  return { deltaId, frameIds, ...fusion };
}

async function fuse(
  tx: Queryable,
  runId: string,
  phase: string,
  topics: readonly string[],
): Promise<Omit<RefineResult, 'deltaId' | 'frameIds'>> {
  const rows = await listTopicFrames(tx, runId, topics);
  const changes: FrameStatusChange[] = [];
  const canonicalIds: string[] = [];
  let merged = 0;
  let agreeing = 0;
  let conflicts = 0;
  const conflictRows: TopicConflict[] = [];
  for (const frames of groupBy(rows, (r) => r.topicKey).values()) {
    const byObject = [...groupBy(frames, (r) => r.objectKey).values()];
    const status: FrameStatus = byObject.length > 1 ? 'conflict' : 'active';
    const canonicals: Array<{ frameId: string; object: string; sources: number }> = [];
    for (const same of byObject) {
      // Rows come in seq order, so the first non-merged frame of equal ones is the oldest.
      const canonical = same.find((r) => r.status !== 'merged') ?? same[0];
      if (!canonical) continue;
      canonicalIds.push(canonical.id);
      canonicals.push({ frameId: canonical.id, object: canonical.object, sources: same.length });
      if (canonical.status !== status) changes.push({ id: canonical.id, status, mergedInto: null });
      for (const other of same) {
        if (other === canonical || other.status === 'merged') continue;
        changes.push({ id: other.id, status: 'merged', mergedInto: canonical.id });
        merged += 1;
      }
    }
    agreeing += Math.max(...byObject.map((same) => same.length));
    if (byObject.length > 1) {
      conflicts += 1;
      const first = frames[0];
      if (first)
        conflictRows.push({
          topicKey: first.topicKey,
          subject: first.subject,
          predicate: first.predicate,
          objects: canonicals,
        });
    }
  }
  await updateFrameStatuses(tx, changes);
  await upsertConflicts(tx, runId, phase, conflictRows);
  const consensus = rows.length === 0 ? 1 : Math.round((agreeing / rows.length) * 1000) / 1000;
  return { canonicalIds, merged, conflicts, consensus };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function tidy(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
