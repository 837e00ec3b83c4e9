import type { Database, Queryable, Unsubscribe } from '../storage/database.ts';
import { notifyRunSignal } from '../storage/run-signal-store.ts';

export const RUN_SIGNALS_CHANNEL = 'ideamine_run_signals';

type Listener = () => void;

/**
 * Wakes the coordinators waiting on a run when a signal is stored for it (pause, cancel, a phase's
 * timebox), so that a waiter needs no timer to notice one.
 *
 * Where the driver can listen across processes (Postgres), `announce` only NOTIFYs: the server
 * delivers it on commit to every listening process, this one included, so a signal written by
 * `ideamine pause` in another process wakes the driver too. Elsewhere (PGlite: one process) nothing
 * is sent to the server and listeners are called in-process at once; that is safe before the commit
 * because PGlite runs a statement only when no transaction holds it, so the woken waiter's read of
 * the signal waits for the commit. A wake is only a hint: the waiter reads the stored signal, so a
 * wake for a transaction that rolled back costs one read and nothing else.
 */
export class RunSignalWakeups {
  readonly #db: Database;
  readonly #listeners = new Map<string, Set<Listener>>();
  /** One LISTEN per process, kept for the Database's life (no LISTEN/UNLISTEN churn per wave). */
  #listening: Promise<Unsubscribe> | undefined;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Tells waiters on `runId` that its signal changed, as part of the transaction `tx` that changed it. */
  async announce(tx: Queryable, runId: string): Promise<void> {
    if (this.#db.capabilities.listenNotify)
      await notifyRunSignal(tx, this.#db.channel(RUN_SIGNALS_CHANNEL), runId);
    else this.#wake(runId);
  }

  /** Calls `listener` whenever a signal of `runId` may have changed. Resolves once the subscription is live. */
  async subscribe(runId: string, listener: Listener): Promise<() => void> {
    let set = this.#listeners.get(runId);
    if (!set) {
      set = new Set();
      this.#listeners.set(runId, set);
    }
    set.add(listener);
    if (this.#db.capabilities.listenNotify) {
      this.#listening ??= this.#db.listen(RUN_SIGNALS_CHANNEL, (payload) => this.#wake(payload));
      try {
        await this.#listening;
      } catch (error) {
        this.#listening = undefined;
        this.#remove(runId, listener);
        throw error;
      }
    }
    return () => this.#remove(runId, listener);
  }

  #remove(runId: string, listener: Listener): void {
    const set = this.#listeners.get(runId);
    set?.delete(listener);
    if (set?.size === 0) this.#listeners.delete(runId);
  }

  #wake(runId: string): void {
    for (const listener of this.#listeners.get(runId) ?? []) listener();
  }
}

const byDatabase = new WeakMap<Database, RunSignalWakeups>();

/** The wake-ups of this Database: signal writers and waiters in one process share them. */
export function runSignalWakeups(db: Database): RunSignalWakeups {
  let wakeups = byDatabase.get(db);
  if (!wakeups) {
    wakeups = new RunSignalWakeups(db);
    byDatabase.set(db, wakeups);
  }
  return wakeups;
}
