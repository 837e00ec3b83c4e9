import type { Queryable } from './database.ts';

/**
 * Run and phase signals as the orchestrator writes them outside `run-store.ts`: a phase's timebox
 * running out, and the NOTIFY that wakes a coordinator waiting for the run's tasks.
 */

/**
 * Marks a running phase as out of time. Only the first signal counts (an operator's pause or cancel
 * set earlier wins). Returns the phase's run when the signal was set, so the caller can wake its waiter.
 */
export async function markPhaseTimeboxed(tx: Queryable, phaseRowId: string): Promise<string | undefined> {
  const rows = await tx.query<{ run_id: string }>(
    `update phases set signal = 'timebox', updated_at = now()
      where id = $1 and status = 'running' and signal is null
     returning run_id`,
    [phaseRowId],
  );
  return rows[0]?.run_id;
}

/** NOTIFY on `channel` (already namespaced by the driver) with the run's id; delivered when `tx` commits. */
export async function notifyRunSignal(tx: Queryable, channel: string, runId: string): Promise<void> {
  await tx.query('select pg_notify($1, $2)', [channel, runId]);
}
