import type { Queryable } from './database.ts';

/**
 * Events are appended in the same transaction as the change they describe (invariant 8), then a
 * NOTIFY carrying only the sequence number wakes subscribers, who read the rows themselves (NOTIFY
 * payloads are capped at 8 kB and are lost while a listener reconnects; the table is not).
 */

export interface NewEvent {
  type: string;
  runId?: string | null;
  phase?: string | null;
  taskId?: string | null;
  payload?: Record<string, unknown>;
}

export interface StoredEvent {
  seq: number;
  id: string;
  type: string;
  runId: string | null;
  phase: string | null;
  taskId: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
}

export const EVENTS_CHANNEL = 'ideamine_events';

interface EventRow extends Record<string, unknown> {
  seq: number;
  id: string;
  event_type: string;
  run_id: string | null;
  phase_id: string | null;
  task_id: string | null;
  payload: Record<string, unknown>;
  created_at: Date;
}

const COLUMNS = 'seq, id, event_type, run_id, phase_id, task_id, payload, created_at';

function toEvent(row: EventRow): StoredEvent {
  return {
    seq: Number(row.seq),
    id: row.id,
    type: row.event_type,
    runId: row.run_id,
    phase: row.phase_id,
    taskId: row.task_id,
    payload: row.payload,
    createdAt: row.created_at,
  };
}

/** Appends events and notifies `channel` (already namespaced by the caller's Database). */
export async function appendEvents(
  tx: Queryable,
  channel: string,
  events: readonly NewEvent[],
): Promise<StoredEvent[]> {
  if (events.length === 0) return [];
  // One statement: the insert, and the NOTIFY naming the last sequence number (sent on commit). The
  // `notified` CTE is joined so that it runs; it yields exactly one row.
  const rows = await tx.query<EventRow>(
    `with inserted as (
       insert into events (event_type, run_id, phase_id, task_id, payload)
       select e.type, e.run_id, e.phase, e.task_id, coalesce(e.payload, '{}'::jsonb)
         from jsonb_to_recordset($1::jsonb) as e(type text, run_id uuid, phase text, task_id uuid, payload jsonb)
       returning ${COLUMNS}),
     notified as (select pg_notify($2, (select max(seq) from inserted)::text))
     select inserted.* from inserted cross join notified`,
    [
      JSON.stringify(
        events.map((e) => ({
          type: e.type,
          run_id: e.runId ?? null,
          phase: e.phase ?? null,
          task_id: e.taskId ?? null,
          payload: e.payload ?? {},
        })),
      ),
      channel,
    ],
  );
  return rows.map(toEvent).sort((a, b) => a.seq - b.seq);
}

export interface EventQuery {
  runId?: string;
  afterSeq?: number;
  types?: readonly string[];
  limit?: number;
}

export async function readEvents(db: Queryable, query: EventQuery = {}): Promise<StoredEvent[]> {
  const rows = await db.query<EventRow>(
    `select ${COLUMNS} from events
      where ($1::uuid is null or run_id = $1) and seq > $2
        and ($3::text[] is null or event_type = any($3))
      order by seq limit $4`,
    [query.runId ?? null, query.afterSeq ?? 0, query.types ?? null, query.limit ?? 1000],
  );
  return rows.map(toEvent);
}

/** The newest `limit` events of a run (of the given types when set), oldest first. */
export async function readLatestEvents(
  db: Queryable,
  query: { runId: string; types?: readonly string[]; limit: number },
): Promise<StoredEvent[]> {
  const rows = await db.query<EventRow>(
    `select ${COLUMNS} from events
      where run_id = $1 and ($2::text[] is null or event_type = any($2))
      order by seq desc limit $3`,
    [query.runId, query.types ?? null, query.limit],
  );
  return rows.map(toEvent).reverse();
}
