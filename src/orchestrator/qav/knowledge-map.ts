import { ErrorClass, ErrorCode, IdeaMineError, invalidInput } from '../../core/errors.ts';
import { ASSUMPTION_STATUSES, type AssumptionStatus } from '../../core/schemas/assumption.ts';
import {
  type AssumptionRecord,
  listAssumptions as listStoredAssumptions,
  updateAssumptionStatus,
} from '../../storage/assumption-store.ts';
import type { Queryable } from '../../storage/database.ts';
import {
  getFramesByIds,
  type KnowledgeConflict,
  listFrames,
  listConflicts as listStoredConflicts,
  searchFramesByText,
} from '../../storage/knowledge-map-store.ts';
import { words } from './text-terms.ts';
import { FRAME_STATUSES, type FrameStatus, type KnowledgeFrame } from './types.ts';

/**
 * Read side of the Knowledge Map and the assumptions registry, for the triad, the CLI
 * (`ideamine kmap`, `ideamine assumptions`) and the API. Checks what callers pass (ids, limits,
 * statuses) and builds the search; the statements live in `storage/knowledge-map-store.ts` and
 * `storage/assumption-store.ts`.
 */

export type { AssumptionRecord, KnowledgeConflict };

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_LIMIT = 1_000;
/** Retrieval queries are built from a question and its claims; past this many words they add noise. */
const MAX_ANY_WORDS = 64;

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
  const filter = {
    statuses: options.statuses ?? FRAME_STATUSES,
    phase: options.phase ?? null,
    limit: Math.max(1, Math.min(MAX_LIMIT, Math.floor(limit))),
  };
  if (text === undefined || text.trim() === '') return listFrames(db, runId, filter);
  if (options.match !== 'any')
    return searchFramesByText(db, runId, { query: text, syntax: 'websearch' }, filter);
  // `any` builds `w1 | w2 | …` from plain words only, so user text can never inject tsquery syntax.
  const query = [...new Set(words(text))].slice(0, MAX_ANY_WORDS).join(' | ');
  if (query === '') return [];
  return searchFramesByText(db, runId, { query, syntax: 'tsquery' }, filter);
}

export async function getFrames(db: Queryable, ids: readonly string[]): Promise<KnowledgeFrame[]> {
  return getFramesByIds(
    db,
    ids.filter((id) => UUID.test(id)),
  );
}

export async function listConflicts(db: Queryable, runId: string): Promise<KnowledgeConflict[]> {
  requireUuid(runId, 'run id');
  return listStoredConflicts(db, runId);
}

export async function listAssumptions(db: Queryable, runId: string): Promise<AssumptionRecord[]> {
  requireUuid(runId, 'run id');
  return listStoredAssumptions(db, runId);
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
  const updated = await updateAssumptionStatus(db, id, status);
  if (!updated)
    throw new IdeaMineError(ErrorCode.notFound, `no assumption ${id}`, { errorClass: ErrorClass.fatal });
  return updated;
}

function requireUuid(value: string, what: string): void {
  if (!UUID.test(value)) throw invalidInput(`${what} must be a uuid; got "${value}"`);
}
