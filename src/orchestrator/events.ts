import type { EventPayload, EventType } from '../core/schemas/event.ts';
import type { Database, Queryable } from '../storage/database.ts';
import { appendEvents, EVENTS_CHANNEL, type StoredEvent } from '../storage/event-store.ts';

/**
 * An event the orchestrator emits, its payload typed by the zod schema of its `type`
 * (`src/core/schemas/*-events.ts`): a payload with a missing, extra or mistyped field does not compile.
 * Distributes over the event types, so `type` narrows `payload`.
 */
export type OrchestratorEvent<T extends EventType = EventType> = T extends EventType
  ? { type: T; runId: string; phase?: string; taskId?: string; payload: EventPayload<T> }
  : never;

/** Appends one event (in `tx` when given, so it commits with the change it describes). */
export async function emit<T extends EventType>(
  db: Database,
  event: OrchestratorEvent<T>,
  tx?: Queryable,
): Promise<StoredEvent> {
  const write = (q: Queryable) => emitAll(db, q, [event]);
  const [stored] = tx ? await write(tx) : await db.transaction(write);
  return stored as StoredEvent;
}

/** Appends events in one statement, in order, on `q` (the transaction of the change they describe). */
export function emitAll(
  db: Database,
  q: Queryable,
  events: readonly OrchestratorEvent[],
): Promise<StoredEvent[]> {
  return appendEvents(
    q,
    db.channel(EVENTS_CHANNEL),
    events.map((event) => ({
      type: event.type,
      runId: event.runId,
      phase: event.phase ?? null,
      taskId: event.taskId ?? null,
      payload: event.payload as Record<string, unknown>,
    })),
  );
}
