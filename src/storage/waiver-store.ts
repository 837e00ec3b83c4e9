import type { Queryable } from './database.ts';

/**
 * Waivers as granted by `ideamine waive` or the API. Whether one applies is decided at gate time
 * (active and unexpired), so this store never turns a row's expiry into a status.
 */

export interface GrantedWaiver {
  id: string;
  runId: string;
  phase: string;
  violationType: string;
  owner: string;
  reason: string | null;
  compensatingControl: string;
  status: 'active' | 'revoked';
  expiresAt: Date;
  createdAt: Date;
}

type R = Record<string, unknown>;
const COLUMNS =
  'id, run_id, phase, violation_type, owner, reason, compensating_control, status, expires_at, created_at';

function toWaiver(r: R): GrantedWaiver {
  return {
    id: r['id'] as string,
    runId: r['run_id'] as string,
    phase: r['phase'] as string,
    violationType: r['violation_type'] as string,
    owner: r['owner'] as string,
    reason: (r['reason'] as string | null) ?? null,
    compensatingControl: r['compensating_control'] as string,
    status: r['status'] as GrantedWaiver['status'],
    expiresAt: r['expires_at'] as Date,
    createdAt: r['created_at'] as Date,
  };
}

export async function insertGrantedWaiver(
  q: Queryable,
  w: Pick<
    GrantedWaiver,
    'runId' | 'phase' | 'violationType' | 'owner' | 'reason' | 'compensatingControl' | 'expiresAt'
  >,
): Promise<GrantedWaiver> {
  const rows = await q.query(
    `insert into waivers (run_id, phase, violation_type, owner, reason, compensating_control, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7) returning ${COLUMNS}`,
    [w.runId, w.phase, w.violationType, w.owner, w.reason, w.compensatingControl, w.expiresAt.toISOString()],
  );
  return toWaiver(rows[0] as R);
}

/** Every waiver of a run, active or not, oldest first (for the dossier and `GET …/waivers`). */
export async function listRunWaivers(q: Queryable, runId: string): Promise<GrantedWaiver[]> {
  const rows = await q.query(`select ${COLUMNS} from waivers where run_id = $1 order by created_at, id`, [
    runId,
  ]);
  return rows.map(toWaiver);
}
