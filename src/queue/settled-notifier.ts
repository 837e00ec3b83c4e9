import { randomUUID } from 'node:crypto';
import type { Database, Unsubscribe } from '../storage/database.ts';
import type { TaskSettled, TaskState } from './task-queue.ts';

export type SettledListener = (event: TaskSettled) => void;

export const SETTLED_CHANNEL = 'ideamine_settled';

/** One settled task per NOTIFY payload: `origin|taskId|runId|state` stays far below the 8,000-byte limit. */
const PAYLOAD_SEPARATOR = '|';

/**
 * Fans settle notifications out to every listener of one Database in this process. Each hub keeps at
 * most one LISTEN (through the driver's single listen connection), whatever the number of waiters.
 *
 * Writes that settle tasks emit in-process right after their commit, so waiters in this process hear
 * them without a round trip through the server. The same writes also NOTIFY (where the driver can
 * listen) for other processes; those carry this hub's `origin` so that its own LISTEN skips what it
 * has already delivered.
 */
export class SettledHub {
  /** Marks this hub's own NOTIFYs; a NOTIFY sent with origin `''` is delivered to every hub, this one too. */
  readonly origin: string = randomUUID();
  readonly #db: Database;
  readonly #listeners = new Set<SettledListener>();
  #unlisten: Promise<Unsubscribe> | undefined;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Whether writes should NOTIFY other processes: only where the driver can listen across processes. */
  get crossProcess(): boolean {
    return this.#db.capabilities.listenNotify;
  }

  get channel(): string {
    return this.#db.channel(SETTLED_CHANNEL);
  }

  async subscribe(listener: SettledListener): Promise<() => Promise<void>> {
    this.#listeners.add(listener);
    if (this.crossProcess) {
      this.#unlisten ??= this.#db.listen(SETTLED_CHANNEL, (payload) => this.#onNotification(payload));
      try {
        await this.#unlisten;
      } catch (error) {
        this.#listeners.delete(listener);
        this.#unlisten = undefined;
        throw error;
      }
    }
    let subscribed = true;
    return async () => {
      if (!subscribed) return;
      subscribed = false;
      this.#listeners.delete(listener);
      if (this.#listeners.size > 0 || !this.#unlisten) return;
      const unlisten = this.#unlisten;
      this.#unlisten = undefined;
      await (await unlisten)();
    };
  }

  /** Delivers committed settlements to this process's listeners. A throwing listener never stops the others. */
  emit(events: readonly TaskSettled[]): void {
    for (const event of events) {
      for (const listener of this.#listeners) {
        try {
          listener(event);
        } catch {
          // A listener's failure is its own; the write that settled the task has committed already.
        }
      }
    }
  }

  #onNotification(payload: string): void {
    const [origin, taskId, runId, state] = payload.split(PAYLOAD_SEPARATOR);
    if (origin === this.origin || !taskId || !state) return;
    this.emit([{ taskId, runId: runId || null, state: state as TaskState }]);
  }
}

const hubs = new WeakMap<Database, SettledHub>();

/** The hub of this Database: every queue over the same Database shares it, so waiters hear every writer. */
export function settledHub(db: Database): SettledHub {
  let hub = hubs.get(db);
  if (!hub) {
    hub = new SettledHub(db);
    hubs.set(db, hub);
  }
  return hub;
}

function sqlLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * A select-list expression that NOTIFYs other processes of one settled row, for the final select over
 * the rows a statement changed (columns `id`, `run_id`, `state`, optionally behind `alias`). Rows that
 * did not settle (a retry back to `ready`) send nothing. The NOTIFY rides the statement's transaction,
 * so it is delivered only if that commits. `origin` is the sending hub's, or `''` to reach this
 * process's own LISTEN as well (when the commit happens in a caller's transaction we cannot observe).
 */
export function settledNotifySql(hub: SettledHub, origin: string, alias = ''): string {
  const col = (name: string) => (alias ? `${alias}.${name}` : name);
  return `case when ${col('state')} in ('succeeded', 'failed', 'dead', 'cancelled')
            then pg_notify(${sqlLiteral(hub.channel)}, concat_ws('${PAYLOAD_SEPARATOR}', ${sqlLiteral(origin)},
                 ${col('id')}::text, coalesce(${col('run_id')}::text, ''), ${col('state')})) end`;
}
