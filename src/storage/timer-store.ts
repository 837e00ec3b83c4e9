import type { Queryable } from './database.ts';

/**
 * The `timers` table (invariant 7): durable timers as rows, claimed like tasks. The TimerService in
 * `src/engine/timers.ts` decides when to fire and what firing does; this module only reads and writes
 * the rows, on whichever connection or transaction it is given.
 *
 * `now` is an ISO time from an injected clock, or null for the database's `clock_timestamp()`: tests
 * with a fake clock decide what is due, production lets the database do it.
 */

export type TimerKind = 'retry' | 'timeout' | 'timebox' | 'custom';

export interface TimerRecord {
  id: string;
  key: string;
  kind: TimerKind;
  runId: string | null;
  taskId: string | null;
  fireAt: Date;
  payload: Record<string, unknown>;
  state: 'pending' | 'firing' | 'fired' | 'cancelled';
  firedAt: Date | null;
}

export interface ScheduleTimer {
  key: string;
  kind: TimerKind;
  fireAt: Date;
  runId?: string;
  taskId?: string;
  payload?: Record<string, unknown>;
}

interface TimerRow extends Record<string, unknown> {
  id: string;
  key: string;
  kind: TimerKind;
  run_id: string | null;
  task_id: string | null;
  fire_at: Date;
  payload: Record<string, unknown>;
  state: TimerRecord['state'];
  fired_at: Date | null;
}

const COLUMNS = 'id, key, kind, run_id, task_id, fire_at, payload, state, fired_at';
const NOW = 'coalesce($1::timestamptz, clock_timestamp())';

function toTimer(row: TimerRow): TimerRecord {
  return {
    id: row.id,
    key: row.key,
    kind: row.kind,
    runId: row.run_id,
    taskId: row.task_id,
    fireAt: row.fire_at,
    payload: row.payload,
    state: row.state,
    firedAt: row.fired_at,
  };
}

/** Inserts a timer; a timer with the same key already there is returned unchanged (idempotent). */
export async function insertTimer(q: Queryable, timer: ScheduleTimer): Promise<TimerRecord> {
  // `do update set key = excluded.key` changes nothing but makes `returning` yield the existing row.
  const rows = await q.query<TimerRow>(
    `insert into timers (key, kind, run_id, task_id, fire_at, payload) values ($1, $2, $3, $4, $5, $6)
     on conflict (key) do update set key = excluded.key
     returning ${COLUMNS}`,
    [
      timer.key,
      timer.kind,
      timer.runId ?? null,
      timer.taskId ?? null,
      timer.fireAt.toISOString(),
      JSON.stringify(timer.payload ?? {}),
    ],
  );
  return toTimer(rows[0] as TimerRow);
}

/** Cancels a pending timer; false when it was not pending (fired, cancelled or unknown). */
export async function cancelPendingTimer(q: Queryable, key: string): Promise<boolean> {
  const rows = await q.query(
    `update timers set state = 'cancelled' where key = $1 and state = 'pending' returning id`,
    [key],
  );
  return rows.length > 0;
}

export async function findTimer(q: Queryable, key: string): Promise<TimerRecord | undefined> {
  const rows = await q.query<TimerRow>(`select ${COLUMNS} from timers where key = $1`, [key]);
  return rows[0] ? toTimer(rows[0]) : undefined;
}

/**
 * Locks the earliest due pending timer of one of `kinds` (SKIP LOCKED: a timer another process is
 * firing is passed over). Call inside the transaction that fires it and marks it fired.
 */
export async function lockDueTimer(
  tx: Queryable,
  now: string | null,
  kinds: readonly TimerKind[],
): Promise<TimerRecord | undefined> {
  const rows = await tx.query<TimerRow>(
    `select ${COLUMNS} from timers where state = 'pending' and fire_at <= ${NOW} and kind = any($2::text[])
      order by fire_at, id limit 1 for update skip locked`,
    [now, kinds],
  );
  return rows[0] ? toTimer(rows[0]) : undefined;
}

/** Marks a locked timer fired and returns when (the database's time when `now` is null). */
export async function markTimerFired(
  tx: Queryable,
  id: string,
  now: string | null,
): Promise<Date | undefined> {
  const rows = await tx.query<{ fired_at: Date }>(
    `update timers set state = 'fired', fired_at = ${NOW}, attempt = attempt + 1 where id = $2 returning fired_at`,
    [now, id],
  );
  return rows[0]?.fired_at;
}
