import type { Database, Queryable } from '../storage/database.ts';
import { appendEvents, EVENTS_CHANNEL, type StoredEvent } from '../storage/event-store.ts';

/** Appends one event (in `tx` when given, so it commits with the change it describes). */
export async function emit(
  db: Database,
  event: { type: string; runId: string; phase?: string; taskId?: string; payload: Record<string, unknown> },
  tx?: Queryable,
): Promise<StoredEvent> {
  const write = (q: Queryable) =>
    appendEvents(q, db.channel(EVENTS_CHANNEL), [
      {
        type: event.type,
        runId: event.runId,
        phase: event.phase ?? null,
        taskId: event.taskId ?? null,
        payload: event.payload,
      },
    ]);
  const [stored] = tx ? await write(tx) : await db.transaction(write);
  return stored as StoredEvent;
}
