import type { AssumptionStatus } from '../core/schemas/assumption.ts';
import type { Queryable } from './database.ts';

/**
 * `assumptions`: what the Q/A/V triad could not settle, with its rationale and mitigation. The triad
 * records them, operators validate or invalidate them, a phase's saga invalidates them when the phase
 * is abandoned. Rows stay in here: callers get camelCase records.
 */

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

export interface NewAssumptionRow {
  runId: string;
  phase: string;
  statement: string;
  rationale: string;
  mitigation: string;
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

/** The oldest active assumption of the phase with exactly this statement, if any. */
export async function findActiveAssumptionId(
  q: Queryable,
  scope: { runId: string; phase: string; statement: string },
): Promise<string | undefined> {
  const rows = await q.query<{ id: string }>(
    `select id from assumptions
      where run_id = $1 and phase_id = $2 and assumption = $3 and status = 'active'
      order by created_at limit 1`,
    [scope.runId, scope.phase, scope.statement],
  );
  return rows[0]?.id;
}

/** Inserts an active assumption; returns its id. */
export async function insertAssumption(q: Queryable, a: NewAssumptionRow): Promise<string | undefined> {
  const rows = await q.query<{ id: string }>(
    `insert into assumptions (run_id, phase_id, assumption, rationale, mitigation)
     values ($1, $2, $3, $4, $5) returning id`,
    [a.runId, a.phase, a.statement, a.rationale, a.mitigation],
  );
  return rows[0]?.id;
}

export async function listAssumptions(q: Queryable, runId: string): Promise<AssumptionRecord[]> {
  const rows = await q.query<AssumptionRow>(
    `select ${ASSUMPTION_COLUMNS} from assumptions where run_id = $1 order by created_at, id`,
    [runId],
  );
  return rows.map(toAssumption);
}

/**
 * Sets the status; `validated` and `invalidated` stamp `validatedAt` (when it was decided), `active`
 * clears it. Undefined when there is no such assumption.
 */
export async function updateAssumptionStatus(
  q: Queryable,
  id: string,
  status: AssumptionStatus,
): Promise<AssumptionRecord | undefined> {
  const rows = await q.query<AssumptionRow>(
    `update assumptions
        set status = $2, validated_at = case when $2 = 'active' then null else now() end
      where id = $1
      returning ${ASSUMPTION_COLUMNS}`,
    [id, status],
  );
  return rows[0] ? toAssumption(rows[0]) : undefined;
}

/** Invalidates the run's still-active assumptions among `ids`; returns how many changed. */
export async function invalidateActiveAssumptions(
  q: Queryable,
  runId: string,
  ids: readonly string[],
): Promise<number> {
  const rows = await q.query(
    `update assumptions set status = 'invalidated', validated_at = now() where run_id = $1 and id = any($2::uuid[]) and status = 'active' returning id`,
    [runId, [...ids]],
  );
  return rows.length;
}
