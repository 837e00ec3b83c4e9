import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { dropSchema } from '../lib/pg-admin.ts';
import {
  chunks,
  type JobHandler,
  type JobPayload,
  type QueueSubject,
  type SubjectEnv,
  type WorkerSettings,
} from './subject.ts';

const QUEUE = 'noop';

/**
 * pg-boss 12 on Postgres, in its own schema. Its workers wait `pollingIntervalSeconds` (min 0.5 s)
 * after every fetch unless "burst" mode applies, so a per-job burn-down at defaults would measure
 * the poll interval (24 workers × 2 jobs/s). Both configs therefore use its documented throughput
 * knobs: burst while the cached ready count is > 1 (queue stats and cache refreshed every 1 s), polls at 0.5 s,
 * LISTEN/NOTIFY wake-ups.
 * - `default`: batchSize 1, localConcurrency = concurrency (one fetch and one complete per job).
 * - `batched`: batchSize 50, localConcurrency 2, burst while batches come back full.
 */
export class PgBossSubject implements QueueSubject {
  readonly name = 'pg-boss';
  readonly configs = ['default', 'batched'] as const;
  readonly unsupported = { claim1: 'IdeaMine-only config' };
  readonly settings = {
    pollingIntervalSeconds: 0.5,
    notifyPollingIntervalSeconds: 0.5,
    burstWhenReadyExceeds: 1,
    queueCacheIntervalSeconds: 1,
    monitorIntervalSeconds: 1,
    superviseIntervalSeconds: 1,
    useListenNotify: true,
    max: 10,
    expireInSeconds: 900,
  };
  readonly #env: SubjectEnv;
  readonly #schema: string;
  #boss: PgBoss | undefined;
  #pool: pg.Pool | undefined;
  #workId: string | undefined;

  constructor(env: SubjectEnv) {
    this.#env = env;
    this.#schema = `bench_pgboss_${env.suffix}`;
  }

  get #b(): PgBoss {
    if (!this.#boss) throw new Error('setup() first');
    return this.#boss;
  }

  async setup(): Promise<void> {
    await this.attach();
    await this.#b.createQueue(QUEUE, { notify: true });
  }

  async attach(): Promise<void> {
    const boss = new PgBoss({
      connectionString: this.#env.pgUrl,
      schema: this.#schema,
      max: 10,
      application_name: 'bench-pgboss',
      useListenNotify: true,
      schedule: false,
      queueCacheIntervalSeconds: 1,
      monitorIntervalSeconds: 1,
      superviseIntervalSeconds: 1,
    });
    boss.on('error', () => {});
    boss.on('warning', () => {});
    await boss.start();
    this.#boss = boss;
    this.#pool = new pg.Pool({
      connectionString: this.#env.pgUrl,
      max: 2,
      application_name: 'bench-pgboss-admin',
    });
    this.#pool.on('error', () => {});
  }

  async enqueueMany(payloads: readonly JobPayload[]): Promise<void> {
    for (const part of chunks(payloads, 5_000))
      await this.#b.insert(
        QUEUE,
        part.map((data) => ({ data })),
      );
  }

  async enqueueOne(payload: JobPayload): Promise<void> {
    await this.#b.send(QUEUE, payload);
  }

  async startWorkers(handler: JobHandler, settings: WorkerSettings): Promise<void> {
    const batched = settings.config === 'batched';
    this.#workId = await this.#b.work<JobPayload>(
      QUEUE,
      {
        batchSize: batched ? 50 : 1,
        localConcurrency: batched ? 2 : settings.concurrency,
        pollingIntervalSeconds: 0.5,
        notifyPollingIntervalSeconds: 0.5,
        burstWhenReadyExceeds: 1,
        ...(batched ? { burstWhenBatchFull: true } : {}),
      },
      async (jobs) => {
        await Promise.all(jobs.map((job) => handler(job.data)));
      },
    );
  }

  async stopWorkers(): Promise<void> {
    if (this.#workId) await this.#b.offWork(QUEUE, { id: this.#workId, wait: true });
    this.#workId = undefined;
  }

  async remaining(): Promise<number> {
    const r = await this.#pool?.query<{ n: number }>(
      `select count(*)::int as n from ${this.#schema}.job where name = $1 and state <> 'completed'`,
      [QUEUE],
    );
    return r?.rows[0]?.n ?? 0;
  }

  async reset(): Promise<void> {
    await this.#b.deleteAllJobs(QUEUE);
  }

  async teardown(): Promise<void> {
    await this.#boss?.stop({ graceful: false, timeout: 2_000 }).catch(() => {});
    await this.#pool?.end();
    await dropSchema(this.#env.pgUrl, this.#schema);
  }
}
