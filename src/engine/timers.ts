import { type Clock, systemClock } from '../core/clock.ts';
import { coerceError } from '../core/errors.ts';
import { type Logger, silentLogger } from '../observability/logger.ts';
import type { Database, Queryable } from '../storage/database.ts';
import { appendEvents, EVENTS_CHANNEL } from '../storage/event-store.ts';
import {
  cancelPendingTimer,
  findTimer,
  insertTimer,
  lockDueTimer,
  markTimerFired,
  type ScheduleTimer,
  type TimerKind,
  type TimerRecord,
} from '../storage/timer-store.ts';

/**
 * Durable timers (invariant 7). A timer is a row; firing claims it with SKIP LOCKED and runs its
 * handler inside the same transaction that marks it fired, so its database effect (enqueue a task,
 * fail a phase, append an event) happens exactly once, across crashes and across processes. A timer
 * that comes due while nobody runs fires at the next start: late rather than never.
 *
 * Handlers must be quick and touch only the database through `tx` (on PGlite a transaction holds
 * the only connection).
 */

export type { ScheduleTimer, TimerKind, TimerRecord } from '../storage/timer-store.ts';

export type TimerHandler = (timer: TimerRecord, tx: Queryable) => Promise<void>;

export interface TimerServiceOptions {
  db: Database;
  handlers: Partial<Record<TimerKind, TimerHandler>>;
  clock?: Clock;
  /** Injected clocks also decide what is due; without one the database's clock does. */
  useClockForDueTime?: boolean;
  pollMs?: number;
  logger?: Logger;
}

export class TimerService {
  readonly #db: Database;
  readonly #handlers: Partial<Record<TimerKind, TimerHandler>>;
  /** Only timers of these kinds are fired here: a service must not consume another's timers. */
  readonly #kinds: TimerKind[];
  readonly #clock: Clock;
  readonly #explicitNow: boolean;
  readonly #pollMs: number;
  readonly #logger: Logger;
  #stop: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: TimerServiceOptions) {
    this.#db = options.db;
    this.#handlers = options.handlers;
    this.#kinds = (Object.keys(options.handlers) as TimerKind[]).filter(
      (k) => options.handlers[k] !== undefined,
    );
    this.#clock = options.clock ?? systemClock;
    this.#explicitNow = options.useClockForDueTime ?? options.clock !== undefined;
    this.#pollMs = options.pollMs ?? 1_000;
    this.#logger = options.logger ?? silentLogger;
  }

  #now(): string | null {
    return this.#explicitNow ? new Date(this.#clock.now()).toISOString() : null;
  }

  /** Schedules a timer; scheduling the same key again leaves the first one (idempotent). */
  schedule(timer: ScheduleTimer, tx: Queryable = this.#db): Promise<TimerRecord> {
    return insertTimer(tx, timer);
  }

  cancel(key: string, tx: Queryable = this.#db): Promise<boolean> {
    return cancelPendingTimer(tx, key);
  }

  get(key: string): Promise<TimerRecord | undefined> {
    return findTimer(this.#db, key);
  }

  /** Fires every due timer, one transaction each; returns how many fired. */
  async fireDue(limit = 100): Promise<number> {
    let fired = 0;
    while (fired < limit) {
      const one = await this.#db.transaction(async (tx) => {
        const timer = await lockDueTimer(tx, this.#now(), this.#kinds);
        if (!timer) return false;
        await this.#handlers[timer.kind]?.(timer, tx);
        const firedAt = (await markTimerFired(tx, timer.id, this.#now())) ?? new Date();
        await appendEvents(tx, this.#db.channel(EVENTS_CHANNEL), [
          {
            type: 'timer.fired',
            runId: timer.runId,
            taskId: timer.taskId,
            payload: {
              timerId: timer.id,
              key: timer.key,
              kind: timer.kind,
              fireAt: timer.fireAt.toISOString(),
              lateMs: Math.max(0, firedAt.getTime() - timer.fireAt.getTime()),
            },
          },
        ]);
        return true;
      });
      if (!one) break;
      fired++;
    }
    return fired;
  }

  start(): void {
    if (this.#loop) return;
    this.#stop = new AbortController();
    const signal = this.#stop.signal;
    this.#loop = (async () => {
      while (!signal.aborted) {
        try {
          await this.fireDue();
        } catch (error) {
          this.#logger.warn({ err: coerceError(error).message }, 'timer firing failed; will retry');
        }
        await this.#clock.sleep(this.#pollMs, signal);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stop?.abort();
    await this.#loop;
    this.#loop = undefined;
  }
}
