import type { Queryable } from './database.ts';

/**
 * `compensations` and the statements that undo a phase's changes (orchestrator/sagas.ts decides when
 * and in which order). Every function runs on the caller's transaction: a compensation is registered
 * with the change it undoes, and run together with its ledger entry.
 */

export type CompensationAction = 'retract-artifacts' | 'invalidate-assumptions' | 'cancel-tasks';

export interface NewCompensation {
  runId: string;
  phase: string;
  stepKey: string;
  action: CompensationAction;
  args: Record<string, unknown>;
}

export interface PendingCompensation {
  id: string;
  stepKey: string;
  action: CompensationAction;
  args: Record<string, unknown>;
}

/** Registers a compensation once per (run, phase, step, action); registering it again does nothing. */
export async function insertCompensation(tx: Queryable, c: NewCompensation): Promise<void> {
  await tx.query(
    `insert into compensations (run_id, phase_id, step_key, action, args) values ($1, $2, $3, $4, $5)
     on conflict (run_id, phase_id, step_key, action) do nothing`,
    [c.runId, c.phase, c.stepKey, c.action, JSON.stringify(c.args)],
  );
}

/** The phase's compensations not yet run, newest first (the order they are undone in). */
export async function pendingCompensations(
  tx: Queryable,
  runId: string,
  phase: string,
): Promise<PendingCompensation[]> {
  const rows = await tx.query<{
    id: string;
    step_key: string;
    action: CompensationAction;
    args: Record<string, unknown>;
  }>(
    `select id, step_key, action, args from compensations where run_id = $1 and phase_id = $2 and state = 'registered' order by seq desc`,
    [runId, phase],
  );
  return rows.map((r) => ({ id: r.id, stepKey: r.step_key, action: r.action, args: r.args }));
}

export async function markCompensated(tx: Queryable, id: string): Promise<void> {
  await tx.query(`update compensations set state = 'compensated', done_at = now() where id = $1`, [id]);
}

/** Marks the run's artifacts among `ids` retracted (once); returns how many changed. */
export async function retractArtifacts(
  tx: Queryable,
  runId: string,
  ids: readonly string[],
): Promise<number> {
  const rows = await tx.query(
    `update artifacts set retracted_at = now() where run_id = $1 and id = any($2::uuid[]) and retracted_at is null returning id`,
    [runId, [...ids]],
  );
  return rows.length;
}

/**
 * Cancels the run's tasks among `ids` that no worker has claimed yet; returns how many changed. A
 * claimed task is left to finish: its fenced writes decide its end, not the saga.
 */
export async function cancelReadyTasks(
  tx: Queryable,
  runId: string,
  ids: readonly string[],
): Promise<number> {
  const rows = await tx.query(
    `update tasks set state = 'cancelled', completed_at = now() where run_id = $1 and id = any($2::uuid[]) and state = 'ready' returning id`,
    [runId, [...ids]],
  );
  return rows.length;
}
