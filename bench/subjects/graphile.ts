import { Logger, makeWorkerUtils, type Runner, run, runMigrations, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { dropSchema } from '../lib/pg-admin.ts';
import {
  chunks,
  type JobHandler,
  type JobPayload,
  type QueueSubject,
  type SubjectEnv,
  type WorkerSettings,
} from './subject.ts';

const silent = new Logger(() => () => {});

/**
 * graphile-worker 0.18 on Postgres, in its own schema.
 * - `default`: shipped settings (each worker fetches one job, completes it in its own statement).
 * - `batched`: localQueue 500 + completeJobBatchDelay 0, the settings of its published 184k jobs/s run.
 */
export class GraphileSubject implements QueueSubject {
  readonly name = 'graphile-worker';
  readonly configs = ['default', 'batched'] as const;
  readonly unsupported = { claim1: 'IdeaMine-only config' };
  readonly settings = {
    pollInterval: 2_000,
    maxPoolSize: 10,
    lockTimeout: '4 h (fixed)',
    listenNotify: true,
  };
  readonly #env: SubjectEnv;
  readonly #schema: string;
  #utils: WorkerUtils | undefined;
  #pool: pg.Pool | undefined;
  #runner: Runner | undefined;

  constructor(env: SubjectEnv) {
    this.#env = env;
    this.#schema = `bench_gw_${env.suffix}`;
  }

  get #u(): WorkerUtils {
    if (!this.#utils) throw new Error('setup() first');
    return this.#utils;
  }

  async setup(): Promise<void> {
    const options = { connectionString: this.#env.pgUrl, schema: this.#schema, logger: silent };
    await runMigrations(options);
    this.#utils = await makeWorkerUtils(options);
    this.#pool = new pg.Pool({
      connectionString: this.#env.pgUrl,
      max: 2,
      application_name: 'bench-graphile-admin',
    });
    this.#pool.on('error', () => {});
  }

  async attach(): Promise<void> {
    this.#pool = new pg.Pool({
      connectionString: this.#env.pgUrl,
      max: 2,
      application_name: 'bench-graphile-admin',
    });
    this.#pool.on('error', () => {});
    await this.remaining();
  }

  async enqueueMany(payloads: readonly JobPayload[]): Promise<void> {
    for (const part of chunks(payloads, 5_000)) {
      await this.#u.addJobs(part.map((payload) => ({ identifier: 'noop', payload })));
    }
  }

  async enqueueOne(payload: JobPayload): Promise<void> {
    await this.#u.addJob('noop', payload);
  }

  async startWorkers(handler: JobHandler, settings: WorkerSettings): Promise<void> {
    const batched = settings.config === 'batched';
    this.#runner = await run({
      connectionString: this.#env.pgUrl,
      schema: this.#schema,
      concurrency: settings.concurrency,
      noHandleSignals: true,
      logger: silent,
      taskList: {
        noop: async (payload) => {
          await handler(payload as JobPayload);
        },
      },
      ...(batched ? { preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0 } } } : {}),
    });
  }

  async stopWorkers(): Promise<void> {
    await this.#runner?.stop();
    this.#runner = undefined;
  }

  async remaining(): Promise<number> {
    const r = await this.#pool?.query<{ n: number }>(
      `select count(*)::int as n from ${this.#schema}._private_jobs`,
    );
    return r?.rows[0]?.n ?? 0;
  }

  async reset(): Promise<void> {
    await this.#pool?.query(`delete from ${this.#schema}._private_jobs`);
  }

  async teardown(): Promise<void> {
    await this.#runner?.stop().catch(() => {});
    await this.#utils?.release();
    await this.#pool?.end();
    await dropSchema(this.#env.pgUrl, this.#schema);
  }
}
