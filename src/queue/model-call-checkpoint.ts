import type { Queryable } from '../storage/database.ts';
import { staleAttempt } from './stale-attempt.ts';
import type { Fence } from './task-queue.ts';

/**
 * A task's model call, kept as the task's checkpoint (invariant 6: a re-claimed task resumes from its
 * checkpoint). It says what the attempt holding it reserved against the budget and, once the model
 * answered, the response — so a crash anywhere between "the model answered" and "the task completed"
 * costs nothing on the next attempt, and a reservation whose attempt died can be found and released.
 *
 * States: reserved (the call is, or was, in flight) → settled (response stored, budget settled) or
 * released (the call failed, or a later attempt took the dead attempt's reservation back).
 *
 * Every function runs inside the caller's transaction and first locks the task row, so a write by an
 * attempt that is no longer current (fence `(taskId, attempt)`) is rejected and changes nothing.
 */

/** The checkpoint token of a model-call record. */
export const MODEL_CALL_TOKEN = 'model-call';

export interface CallSpend {
  tokens: number;
  usd: number;
}

export type ModelCallRecord =
  | { state: 'reserved'; stepKey: string; reserved: CallSpend }
  | { state: 'settled'; stepKey: string; reserved: CallSpend; spent: CallSpend; response: unknown }
  | { state: 'released'; stepKey: string };

export interface StoredModelCall {
  /** The attempt that wrote the record. */
  attempt: number;
  record: ModelCallRecord;
}

/**
 * Locks the task and checks that `fence` is its current, running attempt; throws STALE_ATTEMPT
 * otherwise. Holding the lock keeps a re-claim (which updates the same row) out until commit.
 */
export async function lockCurrentAttempt(tx: Queryable, fence: Fence): Promise<void> {
  const rows = await tx.query<{ attempt: number; state: string }>(
    'select attempt, state from tasks where id = $1 for update',
    [fence.taskId],
  );
  const row = rows[0];
  if (row && row.attempt === fence.attempt && row.state === 'running') return;
  throw staleAttempt(fence, 'model-call');
}

/** The task's model-call record, if its checkpoint holds one. */
export async function readModelCall(tx: Queryable, taskId: string): Promise<StoredModelCall | undefined> {
  const rows = await tx.query<{ attempt: number; data: ModelCallRecord }>(
    'select attempt, data from checkpoints where task_id = $1 and token = $2',
    [taskId, MODEL_CALL_TOKEN],
  );
  const row = rows[0];
  return row ? { attempt: row.attempt, record: row.data } : undefined;
}

/** Stores `record` as the task's checkpoint under `fence`'s attempt (call `lockCurrentAttempt` first). */
export async function writeModelCall(tx: Queryable, fence: Fence, record: ModelCallRecord): Promise<void> {
  await tx.query(
    `insert into checkpoints (task_id, attempt, token, data) values ($1, $2, $3, $4)
     on conflict (task_id) do update set attempt = excluded.attempt, token = excluded.token, data = excluded.data,
            created_at = now()`,
    [fence.taskId, fence.attempt, MODEL_CALL_TOKEN, JSON.stringify(record)],
  );
}

/** The task's state, locked until the transaction ends (undefined: no such task). */
export async function lockTaskState(tx: Queryable, taskId: string): Promise<string | undefined> {
  const rows = await tx.query<{ state: string }>('select state from tasks where id = $1 for update', [
    taskId,
  ]);
  return rows[0]?.state;
}

export interface HeldReservation {
  taskId: string;
  /** The attempt that reserved. */
  attempt: number;
  taskState: string;
  /** The phase (name) whose budget the reservation counts against. */
  phase: string;
  reserved: CallSpend;
}

/** Reservations still held by model calls of a run's tasks (records in state `reserved`). */
export async function heldReservations(q: Queryable, runId: string): Promise<HeldReservation[]> {
  const rows = await q.query<{
    task_id: string;
    attempt: number;
    task_state: string;
    phase: string;
    data: ModelCallRecord & { state: 'reserved' };
  }>(
    `select c.task_id, c.attempt, t.state as task_state, p.phase_id as phase, c.data
       from checkpoints c join tasks t on t.id = c.task_id join phases p on p.id = t.phase_id
      where t.run_id = $1 and c.token = $2 and c.data ->> 'state' = 'reserved'`,
    [runId, MODEL_CALL_TOKEN],
  );
  return rows.map((r) => ({
    taskId: r.task_id,
    attempt: r.attempt,
    taskState: r.task_state,
    phase: r.phase,
    reserved: r.data.reserved,
  }));
}
