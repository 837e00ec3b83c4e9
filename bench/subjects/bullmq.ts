import { createPostgresBackend, Queue, Worker, withBackend } from 'bullmq';
import { Redis } from 'ioredis';
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
const PENDING_STATES = ['wait', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children'] as const;

export type BullBackend = 'redis' | 'postgres';

interface BullQueue {
  addBulk(jobs: { name: string; data: JobPayload }[]): Promise<unknown>;
  add(name: string, data: JobPayload): Promise<unknown>;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
  obliterate(opts?: { force?: boolean }): Promise<void>;
  close(): Promise<void>;
}

interface BullWorker {
  close(force?: boolean): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** Removes exactly this benchmark's keys (never FLUSHALL: the Redis server is shared). */
export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis.on('error', () => {});
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

function redisConnection(url: string): { host: string; port: number; maxRetriesPerRequest: null } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null };
}

/**
 * BullMQ 6.7 with its Redis backend (Lua scripts, blocking BZPOPMIN wake-ups) or its Postgres
 * backend (`createPostgresBackend`, own schema, LISTEN wake-ups). `default`: one Worker with
 * `concurrency` slots; it fetches the next job as part of completing the previous one.
 */
export class BullSubject implements QueueSubject {
  readonly name: string;
  readonly configs = ['default'] as const;
  readonly unsupported = {
    batched: 'batch processing is a BullMQ Pro feature',
    claim1: 'IdeaMine-only config',
  };
  readonly settings: Record<string, unknown>;
  readonly #backend: BullBackend;
  readonly #env: SubjectEnv;
  readonly #schema: string;
  readonly #prefix: string;
  #queue: BullQueue | undefined;
  #worker: BullWorker | undefined;

  constructor(backend: BullBackend, env: SubjectEnv) {
    this.#backend = backend;
    this.#env = env;
    this.name = backend === 'redis' ? 'bullmq-redis' : 'bullmq-pg';
    this.#schema = `bench_bullmq_${env.suffix}`;
    this.#prefix = `${env.redisPrefix}:bull`;
    this.settings = { lockDuration: 30_000, stalledInterval: 30_000, removeOnComplete: false, backend };
  }

  #classes(): {
    Q: new (name: string, opts: object) => BullQueue;
    W: new (name: string, fn: unknown, opts: object) => BullWorker;
    connection: object;
  } {
    if (this.#backend === 'redis') {
      return {
        Q: Queue as unknown as new (name: string, opts: object) => BullQueue,
        W: Worker as unknown as new (name: string, fn: unknown, opts: object) => BullWorker,
        connection: { connection: redisConnection(this.#env.redisUrl), prefix: this.#prefix },
      };
    }
    const pgClasses = withBackend(createPostgresBackend);
    return {
      Q: pgClasses.Queue as unknown as new (name: string, opts: object) => BullQueue,
      W: pgClasses.Worker as unknown as new (name: string, fn: unknown, opts: object) => BullWorker,
      connection: {
        connection: {
          connectionString: this.#env.pgUrl,
          schema: this.#schema,
          migrate: true,
          max: 10,
          application_name: 'bench-bullmq',
        },
      },
    };
  }

  get #q(): BullQueue {
    if (!this.#queue) throw new Error('setup() first');
    return this.#queue;
  }

  async setup(): Promise<void> {
    const { Q, connection } = this.#classes();
    this.#queue = new Q(QUEUE, connection);
    await this.#q.getJobCounts('wait'); // connects (and migrates on Postgres)
  }

  async enqueueMany(payloads: readonly JobPayload[]): Promise<void> {
    for (const part of chunks(payloads, 1_000))
      await this.#q.addBulk(part.map((data) => ({ name: QUEUE, data })));
  }

  async enqueueOne(payload: JobPayload): Promise<void> {
    await this.#q.add(QUEUE, payload);
  }

  async startWorkers(handler: JobHandler, settings: WorkerSettings): Promise<void> {
    const { W, connection } = this.#classes();
    const worker = new W(QUEUE, async (job: { data: JobPayload }) => handler(job.data), {
      ...connection,
      concurrency: settings.concurrency,
    });
    worker.on('error', () => {});
    this.#worker = worker;
  }

  async stopWorkers(): Promise<void> {
    await this.#worker?.close();
    this.#worker = undefined;
  }

  async remaining(): Promise<number> {
    const counts = await this.#q.getJobCounts(...PENDING_STATES);
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  async reset(): Promise<void> {
    await this.#q.obliterate({ force: true });
  }

  async teardown(): Promise<void> {
    await this.#worker?.close(true).catch(() => {});
    await this.#queue?.obliterate({ force: true }).catch(() => {});
    await this.#queue?.close().catch(() => {});
    if (this.#backend === 'redis') await deleteRedisPrefix(this.#env.redisUrl, this.#prefix);
    else await dropSchema(this.#env.pgUrl, this.#schema);
  }
}
