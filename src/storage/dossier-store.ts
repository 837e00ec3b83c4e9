import type { Queryable } from './database.ts';

/**
 * The rows the release dossier prints as they are stored: its evidence packs and assumptions
 * sections show every column, so these reads return them unmapped (snake_case keys are the dossier's
 * documented JSON shape).
 */

export async function evidencePacksForDossier(
  q: Queryable,
  runId: string,
): Promise<Record<string, unknown>[]> {
  return q.query(
    'select id, phase_id, attempt, artifacts, guard_reports, qav_summary, kmap_refs, metrics, created_at from evidence_packs where run_id = $1 order by created_at',
    [runId],
  );
}

export async function assumptionsForDossier(q: Queryable, runId: string): Promise<Record<string, unknown>[]> {
  return q.query(
    'select id, phase_id, assumption, rationale, mitigation, status from assumptions where run_id = $1 order by created_at',
    [runId],
  );
}
