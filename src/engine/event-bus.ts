import type { Database } from '../storage/database.ts';
import { EVENTS_CHANNEL, type EventQuery, readEvents, type StoredEvent } from '../storage/event-store.ts';

/**
 * Delivers stored events to subscribers, in order, in this process and (on Postgres) across
 * processes. A NOTIFY only says "something new"; the subscriber reads rows after the last sequence
 * it saw, so nothing is lost if a notification is dropped (a slow poll covers that case too).
 */
export interface Subscription {
  close(): Promise<void>;
}

export interface SubscribeOptions extends Omit<EventQuery, 'afterSeq' | 'limit'> {
  afterSeq?: number;
  pollMs?: number;
}

export async function subscribeEvents(
  db: Database,
  options: SubscribeOptions,
  onEvent: (event: StoredEvent) => void | Promise<void>,
): Promise<Subscription> {
  let lastSeq = options.afterSeq ?? 0;
  let closed = false;
  let draining: Promise<void> | undefined;
  let again = false;

  const drain = async (): Promise<void> => {
    if (draining) {
      again = true;
      return draining;
    }
    draining = (async () => {
      do {
        again = false;
        for (;;) {
          const batch = await readEvents(db, { ...options, afterSeq: lastSeq, limit: 500 });
          for (const event of batch) {
            if (closed) return;
            lastSeq = event.seq;
            await onEvent(event);
          }
          if (batch.length < 500) break;
        }
      } while (again && !closed);
    })().finally(() => {
      draining = undefined;
    });
    return draining;
  };

  const unlisten = await db.listen(EVENTS_CHANNEL, () => void drain().catch(() => {}));
  const poll = setInterval(() => void drain().catch(() => {}), options.pollMs ?? 2_000);
  poll.unref();
  await drain();
  return {
    close: async () => {
      closed = true;
      clearInterval(poll);
      await unlisten();
      await draining;
    },
  };
}
