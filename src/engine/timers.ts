import { type Clock, systemClock } from '../core/clock.ts';
import { coerceError } from '../core/errors.ts';
import { type Logger, silentLogger } from '../observability/logger.ts';
import type { Database, Queryable } from '../storage/database.ts';
import { appendEvents, EVENTS_CHANNEL } from '../storage/event-store.ts';

/**
 * Durable timers (invariant 7). A timer is a row; firing claims it with SKIP LOCKED and runs its
 * handler inside the same transaction that marks it fired, so its database effect (enqueue a task,
 * fail a phase, append an event) happens exactly once, across crashes and across processes. A timer
 * that comes due while nobody runs fires at the next start: late rather than never.
 *
 * Handlers must be quick and touch only the database through `tx` (on PGlite a transaction holds
 * the only connection).
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

export type TimerHandler = (timer: TimerRecord, tx: Queryable) => Promise<void>;

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
  async schedule(timer: ScheduleTimer, tx: Queryable = this.#db): Promise<TimerRecord> {
    const rows = await tx.query<TimerRow>(
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

  async cancel(key: string, tx: Queryable = this.#db): Promise<boolean> {
    const rows = await tx.query(
      `update timers set state = 'cancelled' where key = $1 and state = 'pending' returning id`,
      [key],
    );
    return rows.length > 0;
  }

  async get(key: string): Promise<TimerRecord | undefined> {
    const rows = await this.#db.query<TimerRow>(`select ${COLUMNS} from timers where key = $1`, [key]);
    return rows[0] ? toTimer(rows[0]) : undefined;
  }

  /** Fires every due timer, one transaction each; returns how many fired. */
  async fireDue(limit = 100): Promise<number> {
    let fired = 0;
    while (fired < limit) {
      const one = await this.#db.transaction(async (tx) => {
        const rows = await tx.query<TimerRow>(
          `select ${COLUMNS} from timers where state = 'pending' and fire_at <= ${NOW} and kind = any($2::text[])
            order by fire_at, id limit 1 for update skip locked`,
          [this.#now(), this.#kinds],
        );
        const row = rows[0];
        if (!row) return false;
        const timer = toTimer(row);
        await this.#handlers[timer.kind]?.(timer, tx);
        const fired = await tx.query<{ fired_at: Date }>(
          `update timers set state = 'fired', fired_at = ${NOW}, attempt = attempt + 1 where id = $2 returning fired_at`,
          [this.#now(), timer.id],
        );
        const firedAt = fired[0]?.fired_at ?? new Date();
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
