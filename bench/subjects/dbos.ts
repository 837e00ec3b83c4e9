import { DBOS, DBOSClient } from '@dbos-inc/dbos-sdk';
import pg from 'pg';
import { dropSchema } from '../lib/pg-admin.ts';
import {
  DBOS_NOOP_NAME,
  dbosNoopWorkflow,
  launchDbos,
  setDbosQueueHandler,
  shutdownDbos,
} from './dbos-runtime.ts';
import {
  type JobHandler,
  type JobPayload,
  mapLimit,
  type QueueSubject,
  type SubjectEnv,
  type WorkerSettings,
} from './subject.ts';

const QUEUE = 'bench_noop';
/**
 * DBOS dispatches queued workflows by polling (default every 1,000 ms, filling the free slots each
 * time), which caps a 24-slot queue near 24 jobs/s. 50 ms is its documented knob turned down.
 */
const DISPATCH_POLL_MS = 50;

/**
 * DBOS Transact 5 queues: each job is a one-step workflow enqueued on a queue with
 * `workerConcurrency`. Jobs are enqueued through a DBOSClient while DBOS is not launched, so the
 * burn-down starts with a full queue; `launch()` starts dispatch (its duration is recorded).
 * DBOS has no bulk enqueue: 16 concurrent client enqueues.
 */
export class DbosSubject implements QueueSubject {
  readonly name = 'dbos';
  readonly configs = ['default'] as const;
  readonly unsupported = { batched: 'no batched dequeue/complete option', claim1: 'IdeaMine-only config' };
  readonly settings = {
    minPollingIntervalMs: DISPATCH_POLL_MS,
    systemDatabasePoolSize: 10,
    dispatch: 'polling',
  };
  readonly #env: SubjectEnv;
  readonly #schema: string;
  #client: DBOSClient | undefined;
  #pool: pg.Pool | undefined;
  #concurrency = 0;
  startupMs = 0;

  constructor(env: SubjectEnv) {
    this.#env = env;
    this.#schema = `bench_dbos_${env.suffix}`;
  }

  get #c(): DBOSClient {
    if (!this.#client) throw new Error('setup() first');
    return this.#client;
  }

  async setup(): Promise<void> {
    await DBOS.migrate(this.#env.pgUrl, { schemaName: this.#schema });
    this.#client = await DBOSClient.create({
      systemDatabaseUrl: this.#env.pgUrl,
      systemDatabaseSchemaName: this.#schema,
      applicationName: 'ideamine-bench',
    });
    this.#pool = new pg.Pool({
      connectionString: this.#env.pgUrl,
      max: 2,
      application_name: 'bench-dbos-admin',
    });
    this.#pool.on('error', () => {});
  }

  async enqueueMany(payloads: readonly JobPayload[]): Promise<void> {
    await mapLimit(payloads, 16, async (payload) => {
      await this.#c.enqueue({ queueName: QUEUE, workflowName: DBOS_NOOP_NAME }, payload);
    });
  }

  async enqueueOne(payload: JobPayload): Promise<void> {
    await DBOS.startWorkflow(dbosNoopWorkflow, { queueName: QUEUE })(payload);
  }

  async startWorkers(handler: JobHandler, settings: WorkerSettings): Promise<void> {
    setDbosQueueHandler(handler);
    this.#concurrency = settings.concurrency;
    const started = performance.now();
    await launchDbos(this.#env.pgUrl, this.#schema);
    await DBOS.registerQueue(QUEUE, {
      workerConcurrency: this.#concurrency,
      minPollingIntervalMs: DISPATCH_POLL_MS,
      onConflict: 'always_update',
    });
    this.startupMs = performance.now() - started;
  }

  async stopWorkers(): Promise<void> {
    await shutdownDbos();
    setDbosQueueHandler(undefined);
  }

  async remaining(): Promise<number> {
    const r = await this.#pool?.query<{ n: number }>(
      `select count(*)::int as n from ${this.#schema}.workflow_status where queue_name = $1 and status <> 'SUCCESS'`,
      [QUEUE],
    );
    return r?.rows[0]?.n ?? 0;
  }

  async reset(): Promise<void> {
    await this.#pool?.query(`delete from ${this.#schema}.workflow_status where queue_name = $1`, [QUEUE]);
  }

  async teardown(): Promise<void> {
    await shutdownDbos().catch(() => {});
    await this.#client?.destroy().catch(() => {});
    await this.#pool?.end();
    await dropSchema(this.#env.pgUrl, this.#schema);
  }
}
