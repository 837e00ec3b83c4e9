import type { FrameDraft, FrameProvenance, FrameStatus, KnowledgeFrame } from '../core/knowledge-frame.ts';
import type { Queryable } from './database.ts';

/**
 * `kmap_frames` and `kmap_conflicts`: the Knowledge Map's statements. The refinery (orchestrator/qav)
 * decides what to merge and what conflicts; this module only reads and writes what it decided, in
 * the caller's transaction. Rows stay in here: callers get camelCase frames.
 */

/** A frame to insert, with the normalised keys fusion groups it by. */
export interface NewFrame extends FrameDraft {
  topicKey: string;
  objectKey: string;
}

/** What fusion needs of a stored frame of a topic. */
export interface TopicFrame {
  id: string;
  topicKey: string;
  objectKey: string;
  subject: string;
  predicate: string;
  object: string;
  status: FrameStatus;
  mergedInto: string | null;
}

export interface FrameStatusChange {
  id: string;
  status: FrameStatus;
  mergedInto: string | null;
}

export interface ConflictObject {
  frameId: string;
  object: string;
  sources: number;
}

export interface TopicConflict {
  topicKey: string;
  subject: string;
  predicate: string;
  objects: ConflictObject[];
}

export interface KnowledgeConflict {
  id: string;
  runId: string;
  phase: string;
  subject: string;
  predicate: string;
  objects: ConflictObject[];
  updatedAt: Date;
}

export interface FrameFilter {
  statuses: readonly FrameStatus[];
  /** Null: every phase. */
  phase: string | null;
  limit: number;
}

/**
 * Serialises fusion per run until the caller's transaction ends: two phases refining at once
 * (security and story-loop run in parallel) would otherwise each miss the other's equal frames.
 */
export async function lockKnowledgeMap(tx: Queryable, runId: string): Promise<void> {
  await tx.query(`select pg_advisory_xact_lock(hashtext('kmap:' || $1::text))`, [runId]);
}

/** Inserts the frames in one statement; returns their ids in insertion (seq) order. */
export async function insertFrames(
  tx: Queryable,
  runId: string,
  phase: string,
  frames: readonly NewFrame[],
): Promise<string[]> {
  const rows = await tx.query<{ id: string; seq: string | number }>(
    `insert into kmap_frames (run_id, phase_id, subject, predicate, object, topic_key, object_key, confidence, provenance)
     select $1, $2, f->>'subject', f->>'predicate', f->>'object', f->>'topic_key', f->>'object_key',
            (f->>'confidence')::double precision, f->'provenance'
       from jsonb_array_elements($3::jsonb) with ordinality as e(f, n)
      order by e.n
     returning id, seq`,
    [
      runId,
      phase,
      JSON.stringify(
        frames.map((f) => ({
          subject: f.subject,
          predicate: f.predicate,
          object: f.object,
          topic_key: f.topicKey,
          object_key: f.objectKey,
          confidence: f.confidence,
          provenance: f.provenance,
        })),
      ),
    ],
  );
  return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map((r) => r.id);
}

/** Every frame of the given topics of a run, in the order they were added. */
export async function listTopicFrames(
  tx: Queryable,
  runId: string,
  topicKeys: readonly string[],
): Promise<TopicFrame[]> {
  const rows = await tx.query<{
    id: string;
    topic_key: string;
    object_key: string;
    subject: string;
    predicate: string;
    object: string;
    status: FrameStatus;
    merged_into: string | null;
  }>(
    `select id, topic_key, object_key, subject, predicate, object, status, merged_into
       from kmap_frames where run_id = $1 and topic_key = any($2::text[]) order by seq`,
    [runId, topicKeys],
  );
  return rows.map((r) => ({
    id: r.id,
    topicKey: r.topic_key,
    objectKey: r.object_key,
    subject: r.subject,
    predicate: r.predicate,
    object: r.object,
    status: r.status,
    mergedInto: r.merged_into,
  }));
}

/** Applies fusion's status changes in one statement. */
export async function updateFrameStatuses(
  tx: Queryable,
  changes: readonly FrameStatusChange[],
): Promise<void> {
  if (changes.length === 0) return;
  await tx.query(
    `update kmap_frames f set status = c.status, merged_into = c.merged_into
       from jsonb_to_recordset($1::jsonb) as c(id uuid, status text, merged_into uuid)
      where f.id = c.id`,
    [JSON.stringify(changes.map((c) => ({ id: c.id, status: c.status, merged_into: c.mergedInto })))],
  );
}

/** Records (or refreshes) one conflict row per topic, in one statement. */
export async function upsertConflicts(
  tx: Queryable,
  runId: string,
  phase: string,
  conflicts: readonly TopicConflict[],
): Promise<void> {
  if (conflicts.length === 0) return;
  await tx.query(
    `insert into kmap_conflicts (run_id, phase_id, topic_key, subject, predicate, objects)
     select $1, $2, c.topic_key, c.subject, c.predicate, c.objects
       from jsonb_to_recordset($3::jsonb) as c(topic_key text, subject text, predicate text, objects jsonb)
     on conflict (run_id, topic_key) do update
        set objects = excluded.objects, phase_id = excluded.phase_id, updated_at = now()`,
    [
      runId,
      phase,
      JSON.stringify(
        conflicts.map((c) => ({
          topic_key: c.topicKey,
          subject: c.subject,
          predicate: c.predicate,
          objects: c.objects,
        })),
      ),
    ],
  );
}

const FRAME_COLUMNS =
  'id, run_id, phase_id, subject, predicate, object, confidence, provenance, status, merged_into, created_at';

interface FrameRow extends Record<string, unknown> {
  id: string;
  run_id: string;
  phase_id: string;
  subject: string;
  predicate: string;
  object: string;
  confidence: number | string;
  provenance: FrameProvenance;
  status: FrameStatus;
  merged_into: string | null;
  created_at: Date;
  rank?: number | string;
}

function toFrame(row: FrameRow): KnowledgeFrame {
  return {
    id: row.id,
    runId: row.run_id,
    phase: row.phase_id,
    subject: row.subject,
    predicate: row.predicate,
    object: row.object,
    confidence: Number(row.confidence),
    provenance: row.provenance,
    status: row.status,
    mergedInto: row.merged_into,
    createdAt: row.created_at,
    ...(row.rank === undefined ? {} : { rank: Number(row.rank) }),
  };
}

/** Frames of a run in the order they were added. */
export async function listFrames(
  q: Queryable,
  runId: string,
  filter: FrameFilter,
): Promise<KnowledgeFrame[]> {
  const rows = await q.query<FrameRow>(
    `select ${FRAME_COLUMNS} from kmap_frames
      where run_id = $1 and status = any($2::text[]) and ($3::text is null or phase_id = $3)
      order by seq limit $4`,
    [runId, [...filter.statuses], filter.phase, filter.limit],
  );
  return rows.map(toFrame);
}

/**
 * Frames matching a full-text query, best rank first. `websearch` takes user syntax
 * (`"phrase"`, `or`, `-not`); `tsquery` takes a query the caller built (e.g. `w1 | w2`) and must
 * never be given user text.
 */
export async function searchFramesByText(
  q: Queryable,
  runId: string,
  search: { query: string; syntax: 'websearch' | 'tsquery' },
  filter: FrameFilter,
): Promise<KnowledgeFrame[]> {
  const parse = search.syntax === 'tsquery' ? 'to_tsquery' : 'websearch_to_tsquery';
  const rows = await q.query<FrameRow>(
    `select ${FRAME_COLUMNS}, ts_rank(search, q) as rank
       from kmap_frames, ${parse}('english', $2) as q
      where run_id = $1 and search @@ q and status = any($3::text[]) and ($4::text is null or phase_id = $4)
      order by rank desc, seq limit $5`,
    [runId, search.query, [...filter.statuses], filter.phase, filter.limit],
  );
  return rows.map(toFrame);
}

/** The frames with these ids (ids must be uuids), in the order they were added. */
export async function getFramesByIds(q: Queryable, ids: readonly string[]): Promise<KnowledgeFrame[]> {
  if (ids.length === 0) return [];
  const rows = await q.query<FrameRow>(
    `select ${FRAME_COLUMNS} from kmap_frames where id = any($1::uuid[]) order by seq`,
    [[...ids]],
  );
  return rows.map(toFrame);
}

export async function listConflicts(q: Queryable, runId: string): Promise<KnowledgeConflict[]> {
  const rows = await q.query<{
    id: string;
    run_id: string;
    phase_id: string;
    subject: string;
    predicate: string;
    objects: ConflictObject[];
    updated_at: Date;
  }>(
    `select id, run_id, phase_id, subject, predicate, objects, updated_at
       from kmap_conflicts where run_id = $1 order by created_at, id`,
    [runId],
  );
  return rows.map((r) => ({
    id: r.id,
    runId: r.run_id,
    phase: r.phase_id,
    subject: r.subject,
    predicate: r.predicate,
    objects: r.objects,
    updatedAt: r.updated_at,
  }));
}
