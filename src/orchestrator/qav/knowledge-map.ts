import { ErrorClass, ErrorCode, IdeaMineError, invalidInput } from '../../core/errors.ts';
import { ASSUMPTION_STATUSES, type AssumptionStatus } from '../../core/schemas/assumption.ts';
import type { Queryable } from '../../storage/database.ts';
import { words } from './text-terms.ts';
import { FRAME_STATUSES, type FrameProvenance, type FrameStatus, type KnowledgeFrame } from './types.ts';

/**
 * Read side of the Knowledge Map and the assumptions registry, for the triad, the CLI
 * (`ideamine kmap`, `ideamine assumptions`) and the API. Rows stay in here: callers get camelCase
 * domain objects.
 */

export interface SearchFramesOptions {
  /**
   * `all` (default): web-search syntax over the frames, every term must match (`"exact phrase"`,
   * `or`, `-not` work). `any`: a frame matching any word ranks, which is what retrieval wants.
   */
  match?: 'all' | 'any';
  /** Default: every status. Retrieval passes `['active', 'conflict']` (merged frames are duplicates). */
  statuses?: readonly FrameStatus[];
  phase?: string;
}

export interface AssumptionRecord {
  id: string;
  runId: string;
  phase: string;
  statement: string;
  rationale: string | null;
  mitigation: string | null;
  mitigationTaskId: string | null;
  status: AssumptionStatus;
  createdAt: Date;
  validatedAt: Date | null;
}

export interface KnowledgeConflict {
  id: string;
  runId: string;
  phase: string;
  subject: string;
  predicate: string;
  objects: Array<{ frameId: string; object: string; sources: number }>;
  updatedAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_LIMIT = 1_000;
/** Retrieval queries are built from a question and its claims; past this many words they add noise. */
const MAX_ANY_WORDS = 64;

export const FRAME_COLUMNS =
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

export function toFrame(row: FrameRow): KnowledgeFrame {
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

/**
 * Frames of a run, best match first. Without text (or with blank text) it lists every frame in the
 * order they were added.
 */
export async function searchFrames(
  db: Queryable,
  runId: string,
  text?: string,
  limit = 50,
  options: SearchFramesOptions = {},
): Promise<KnowledgeFrame[]> {
  requireUuid(runId, 'run id');
  const statuses = [...(options.statuses ?? FRAME_STATUSES)];
  const rows = Math.max(1, Math.min(MAX_LIMIT, Math.floor(limit)));
  const phase = options.phase ?? null;
  if (text === undefined || text.trim() === '') {
    const found = await db.query<FrameRow>(
      `select ${FRAME_COLUMNS} from kmap_frames
        where run_id = $1 and status = any($2::text[]) and ($3::text is null or phase_id = $3)
        order by seq limit $4`,
      [runId, statuses, phase, rows],
    );
    return found.map(toFrame);
  }
  const any = options.match === 'any';
  // `any` builds `w1 | w2 | …` from plain words only, so user text can never inject tsquery syntax.
  const query = any ? [...new Set(words(text))].slice(0, MAX_ANY_WORDS).join(' | ') : text;
  if (query === '') return [];
  const found = await db.query<FrameRow>(
    `select ${FRAME_COLUMNS}, ts_rank(search, q) as rank
       from kmap_frames, ${any ? 'to_tsquery' : 'websearch_to_tsquery'}('english', $2) as q
      where run_id = $1 and search @@ q and status = any($3::text[]) and ($4::text is null or phase_id = $4)
      order by rank desc, seq limit $5`,
    [runId, query, statuses, phase, rows],
  );
  return found.map(toFrame);
}

export async function getFrames(db: Queryable, ids: readonly string[]): Promise<KnowledgeFrame[]> {
  const valid = ids.filter((id) => UUID.test(id));
  if (valid.length === 0) return [];
  const rows = await db.query<FrameRow>(
    `select ${FRAME_COLUMNS} from kmap_frames where id = any($1::uuid[]) order by seq`,
    [valid],
  );
  return rows.map(toFrame);
}

export async function listConflicts(db: Queryable, runId: string): Promise<KnowledgeConflict[]> {
  requireUuid(runId, 'run id');
  const rows = await db.query<{
    id: string;
    run_id: string;
    phase_id: string;
    subject: string;
    predicate: string;
    objects: KnowledgeConflict['objects'];
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

const ASSUMPTION_COLUMNS =
  'id, run_id, phase_id, assumption, rationale, mitigation, mitigation_task_id, status, created_at, validated_at';

interface AssumptionRow extends Record<string, unknown> {
  id: string;
  run_id: string;
  phase_id: string;
  assumption: string;
  rationale: string | null;
  mitigation: string | null;
  mitigation_task_id: string | null;
  status: AssumptionStatus;
  created_at: Date;
  validated_at: Date | null;
}

function toAssumption(row: AssumptionRow): AssumptionRecord {
  return {
    id: row.id,
    runId: row.run_id,
    phase: row.phase_id,
    statement: row.assumption,
    rationale: row.rationale,
    mitigation: row.mitigation,
    mitigationTaskId: row.mitigation_task_id,
    status: row.status,
    createdAt: row.created_at,
    validatedAt: row.validated_at,
  };
}

export async function listAssumptions(db: Queryable, runId: string): Promise<AssumptionRecord[]> {
  requireUuid(runId, 'run id');
  const rows = await db.query<AssumptionRow>(
    `select ${ASSUMPTION_COLUMNS} from assumptions where run_id = $1 order by created_at, id`,
    [runId],
  );
  return rows.map(toAssumption);
}

/** `validated` and `invalidated` stamp `validatedAt` (when it was decided); `active` clears it. */
export async function setAssumptionStatus(
  db: Queryable,
  id: string,
  status: AssumptionStatus,
): Promise<AssumptionRecord> {
  requireUuid(id, 'assumption id');
  if (!ASSUMPTION_STATUSES.includes(status)) {
    throw invalidInput(`assumption status must be one of ${ASSUMPTION_STATUSES.join(', ')}; got "${status}"`);
  }
  const rows = await db.query<AssumptionRow>(
    `update assumptions
        set status = $2, validated_at = case when $2 = 'active' then null else now() end
      where id = $1
      returning ${ASSUMPTION_COLUMNS}`,
    [id, status],
  );
  const row = rows[0];
  if (!row)
    throw new IdeaMineError(ErrorCode.notFound, `no assumption ${id}`, { errorClass: ErrorClass.fatal });
  return toAssumption(row);
}

function requireUuid(value: string, what: string): void {
  if (!UUID.test(value)) throw invalidInput(`${what} must be a uuid; got "${value}"`);
}
