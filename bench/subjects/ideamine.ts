import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerPool, type WorkerPoolBatchOptions } from '../../src/engine/worker-pool.ts';
import { SqlTaskQueue } from '../../src/queue/sql-task-queue.ts';
import type { ClaimRequest, TaskQueue } from '../../src/queue/task-queue.ts';
import type { Database } from '../../src/storage/database.ts';
import { openDatabase } from '../../src/storage/open.ts';
import { dropSchema } from '../lib/pg-admin.ts';
import { sleep } from '../lib/stats.ts';
import {
  chunks,
  type JobHandler,
  type JobPayload,
  type QueueSubject,
  type SubjectEnv,
  type WorkerSettings,
} from './subject.ts';

export const NOOP_TYPE = 'bench.noop';

/** Counts claim statements, the tasks they returned and the time spent in them (evidence for B1/B2). */
class ClaimStats {
  claims = 0;
  tasks = 0;
  busyMs = 0;
  since = performance.now();

  reset(): void {
    this.claims = 0;
    this.tasks = 0;
    this.busyMs = 0;
    this.since = performance.now();
  }

  wrap(queue: SqlTaskQueue): TaskQueue {
    return new Proxy(queue, {
      get: (target, prop) => {
        if (prop === 'claim') {
          return async (request: ClaimRequest) => {
            const t0 = performance.now();
            const claimed = await target.claim(request);
            this.busyMs += performance.now() - t0;
            this.claims++;
            this.tasks += claimed.length;
            return claimed;
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  figures(): Record<string, number | null> {
    const wall = performance.now() - this.since;
    return {
      claims_n: this.claims,
      tasks_per_claim: this.claims ? Math.round((this.tasks / this.claims) * 100) / 100 : null,
      claim_avg_ms: this.claims ? Math.round((this.busyMs / this.claims) * 1000) / 1000 : null,
      claim_busy_pct: wall > 0 ? Math.round((this.busyMs / wall) * 1000) / 10 : null,
    };
  }
}

/** B1's `batched` IdeaMine row: bigger completion batches, no wait window, three claims in flight. */
export const BATCHED: WorkerPoolBatchOptions = { completeMax: 500, completeWaitMs: 0, claimsInFlight: 3 };

function benchSchema(label: string, suffix: string): string {
  return `bench_im_${label}_${suffix}`;
}

export type IdeaMineDriver = 'postgres' | 'pglite';

export interface BenchDatabase {
  db: Database;
  /** The Postgres schema holding IdeaMine's tables (undefined on PGlite). */
  schema: string | undefined;
  cleanup: () => Promise<void>;
}

/** Opens an IdeaMine database for a benchmark: a fresh schema on Postgres, a temp data dir on PGlite. */
export async function openBenchDatabase(
  driver: IdeaMineDriver,
  env: Pick<SubjectEnv, 'pgUrl' | 'suffix'>,
  label: string,
  poolSize = 10,
): Promise<BenchDatabase> {
  if (driver === 'postgres') {
    const schema = benchSchema(label, env.suffix);
    const db = await openDatabase({
      driver: 'postgres',
      url: env.pgUrl,
      schema,
      poolSize,
      applicationName: `bench-${label}`,
    });
    return {
      db,
      schema,
      cleanup: async () => {
        await db.close();
        await dropSchema(env.pgUrl, schema);
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), `ideamine-bench-${label}-`));
  const db = await openDatabase({ driver: 'pglite', dataDir: dir });
  return {
    db,
    schema: undefined,
    cleanup: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * IdeaMine's SqlTaskQueue + WorkerPool.
 * - `default`: the WorkerPool as shipped: one claim statement for up to the free slots, completions
 *   batched (up to 64 per statement, 2 ms window), two claims in flight, NOTIFY wake-ups, heartbeat
 *   every 5 s.
 * - `batched`: the same batching turned up for throughput (`BATCHED` below), as graphile-worker's
 *   `batched` row turns on its local queue and batched completion.
 * - `claim1`: `concurrency` loops that claim one task and complete it (no pool), the per-task
 *   shape the pgbench floor also runs.
 * On Postgres the producer has its own connection pool, as an API process enqueuing for a separate
 * worker process would (graphile's WorkerUtils and BullMQ's Queue have their own too); on PGlite
 * there is only the one in-process connection.
 */
export class IdeaMineSubject implements QueueSubject {
  readonly name: string;
  readonly configs = ['default', 'batched', 'claim1'] as const;
  readonly unsupported = {};
  readonly settings: Record<string, unknown>;
  readonly singleProcess: boolean;
  readonly #driver: IdeaMineDriver;
  readonly #env: SubjectEnv;
  #db: Database | undefined;
  #cleanup: (() => Promise<void>) | undefined;
  #queue: SqlTaskQueue | undefined;
  #producer: SqlTaskQueue | undefined;
  #producerDb: Database | undefined;
  #pool: WorkerPool | undefined;
  #loops: Promise<void>[] = [];
  #stopped = false;
  readonly #claimStats = new ClaimStats();

  constructor(driver: IdeaMineDriver, env: SubjectEnv) {
    this.#driver = driver;
    this.#env = env;
    this.name = driver === 'postgres' ? 'ideamine-pg' : 'ideamine-pglite';
    this.singleProcess = driver === 'pglite';
    this.settings = {
      leaseMs: 30_000,
      heartbeatMs: 5_000,
      pollMinMs: 50,
      pollMaxMs: 2_000,
      poolSize: driver === 'postgres' ? 10 : 1,
    };
  }

  get queue(): SqlTaskQueue {
    if (!this.#queue) throw new Error('setup() first');
    return this.#queue;
  }

  get db(): Database {
    if (!this.#db) throw new Error('setup() first');
    return this.#db;
  }

  async setup(): Promise<void> {
    const opened = await openBenchDatabase(
      this.#driver,
      this.#env,
      this.#driver === 'postgres' ? 'q' : 'qlite',
    );
    this.#db = opened.db;
    this.#cleanup = opened.cleanup;
    this.#queue = new SqlTaskQueue(opened.db, { defaultLeaseMs: 30_000 });
    this.#producer = this.#queue;
    if (opened.schema) {
      this.#producerDb = await openDatabase({
        driver: 'postgres',
        url: this.#env.pgUrl,
        schema: opened.schema,
        applicationName: 'bench-producer',
      });
      this.#producer = new SqlTaskQueue(this.#producerDb, { defaultLeaseMs: 30_000 });
    }
  }

  async attach(): Promise<void> {
    if (this.#driver !== 'postgres') throw new Error('PGlite is single-process: no worker of its own');
    const schema = benchSchema('q', this.#env.suffix);
    this.#db = await openDatabase({
      driver: 'postgres',
      url: this.#env.pgUrl,
      schema,
      poolSize: 10,
      applicationName: 'bench-q-worker',
    });
    this.#cleanup = async () => this.#db?.close();
    this.#queue = new SqlTaskQueue(this.#db, { defaultLeaseMs: 30_000 });
    await this.remaining();
  }

  get #enqueuer(): SqlTaskQueue {
    if (!this.#producer) throw new Error('setup() first');
    return this.#producer;
  }

  async enqueueMany(payloads: readonly JobPayload[]): Promise<void> {
    for (const part of chunks(payloads, 5_000)) {
      await this.#enqueuer.enqueueMany(part.map((input) => ({ type: NOOP_TYPE, input })));
    }
  }

  async enqueueOne(payload: JobPayload): Promise<void> {
    await this.#enqueuer.enqueue({ type: NOOP_TYPE, input: payload });
  }

  workerStats(): Record<string, number | null> {
    return this.#claimStats.figures();
  }

  resetWorkerStats(): void {
    this.#claimStats.reset();
  }

  async startWorkers(handler: JobHandler, settings: WorkerSettings): Promise<void> {
    this.#stopped = false;
    this.#claimStats.reset();
    if (settings.config === 'claim1') {
      const workerId = `bench-claim1-${process.pid}`;
      this.#loops = Array.from({ length: settings.concurrency }, () => this.#claimLoop(workerId, handler));
      return;
    }
    this.#pool = new WorkerPool({
      queue: this.#claimStats.wrap(this.queue),
      handlers: new Map([[NOOP_TYPE, async (ctx) => handler(ctx.task.input as JobPayload)]]),
      concurrency: settings.concurrency,
      heartbeatMs: 5_000,
      ...(settings.config === 'batched' ? { batch: BATCHED } : {}),
    });
    await this.#pool.start();
  }

  async #claimLoop(workerId: string, handler: JobHandler): Promise<void> {
    while (!this.#stopped) {
      const t0 = performance.now();
      const [task] = await this.queue.claim({ workerId, limit: 1, types: [NOOP_TYPE] });
      this.#claimStats.busyMs += performance.now() - t0;
      this.#claimStats.claims++;
      this.#claimStats.tasks += task ? 1 : 0;
      if (!task) {
        await sleep(5);
        continue;
      }
      await handler(task.input as JobPayload);
      await this.queue.complete({ taskId: task.id, attempt: task.attempt }, null);
    }
  }

  async stopWorkers(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#loops);
    this.#loops = [];
    await this.#pool?.stop({ graceMs: 5_000 });
    this.#pool = undefined;
  }

  async remaining(): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      "select count(*)::int as n from tasks where state <> 'succeeded'",
    );
    return rows[0]?.n ?? 0;
  }

  async reset(): Promise<void> {
    await this.db.exec('truncate tasks cascade');
  }

  async teardown(): Promise<void> {
    await this.#producerDb?.close();
    await this.#cleanup?.();
    this.#db = undefined;
  }
}
