/**
 * A process for B8 (memory per in-flight task), started by bench/b8-memory.ts with --expose-gc.
 * It ramps the number of in-flight tasks (each holding ~2 KB of state) through the steps in
 * BENCH_MEMORY and prints one JSON line: the heap and RSS after a forced GC at each step.
 */
import { randomBytes } from 'node:crypto';
import { WorkerPool } from '../../src/engine/worker-pool.ts';
import { SqlTaskQueue } from '../../src/queue/sql-task-queue.ts';
import { openDatabase } from '../../src/storage/open.ts';

export interface MemoryProbeSettings {
  system: 'bare-node' | 'ideamine-pg' | 'bullmq-redis' | 'graphile-worker';
  ramp: number[];
  pgUrl: string;
  schema: string;
  redisUrl: string;
  redisPrefix: string;
}

interface Step {
  inFlight: number;
  heapUsed: number;
  rss: number;
  external: number;
}

const settings = JSON.parse(process.env['BENCH_MEMORY'] ?? '{}') as MemoryProbeSettings;
const max = Math.max(...settings.ramp);
const held: Array<() => void> = [];
let started = 0;

function pad(): string {
  return randomBytes(1_536).toString('base64'); // 2,048 distinct characters
}

function hold(): Promise<void> {
  started++;
  return new Promise((resolve) => held.push(resolve));
}

async function until(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out with ${started} in flight`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function snapshot(inFlight: number): Promise<Step> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  await new Promise((r) => setTimeout(r, 200));
  gc();
  gc();
  const m = process.memoryUsage();
  return { inFlight, heapUsed: m.heapUsed, rss: m.rss, external: m.external + m.arrayBuffers };
}

/** Each system: start a worker able to hold `max` tasks; `add(n)` enqueues n more; `stop()` tears down. */
interface Probe {
  add(n: number): Promise<void>;
  stop(): Promise<void>;
}

async function bareNode(): Promise<Probe> {
  const keep: unknown[] = [];
  return {
    async add(n) {
      for (let i = 0; i < n; i++) {
        const state = { pad: pad(), i };
        const timer = setTimeout(() => {}, 3_600_000);
        keep.push({ state, timer, done: hold() });
      }
    },
    async stop() {
      for (const k of keep as Array<{ timer: NodeJS.Timeout }>) clearTimeout(k.timer);
    },
  };
}

async function ideamine(): Promise<Probe> {
  const db = await openDatabase({
    driver: 'postgres',
    url: settings.pgUrl,
    schema: settings.schema,
    applicationName: 'bench-b8',
  });
  const queue = new SqlTaskQueue(db, { defaultLeaseMs: 600_000 });
  const pool = new WorkerPool({ queue, concurrency: max, handlers: new Map([['bench.hold', () => hold()]]) });
  await pool.start();
  let next = 0;
  return {
    async add(n) {
      const batch = Array.from({ length: n }, () => ({
        type: 'bench.hold',
        input: { i: next++, pad: pad() },
      }));
      for (let i = 0; i < batch.length; i += 5_000) await queue.enqueueMany(batch.slice(i, i + 5_000));
    },
    async stop() {
      for (const release of held) release();
      await pool.stop({ graceMs: 10_000 });
      await db.close();
    },
  };
}

async function bullmq(): Promise<Probe> {
  const { Queue, Worker } = await import('bullmq');
  const u = new URL(settings.redisUrl);
  const connection = { host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null };
  const prefix = `${settings.redisPrefix}:b8`;
  const queue = new Queue('hold', { connection, prefix });
  const worker = new Worker('hold', () => hold(), { connection, prefix, concurrency: max });
  worker.on('error', () => {});
  let next = 0;
  return {
    async add(n) {
      for (let i = 0; i < n; i += 1_000) {
        await queue.addBulk(
          Array.from({ length: Math.min(1_000, n - i) }, () => ({
            name: 'hold',
            data: { i: next++, pad: pad() },
          })),
        );
      }
    },
    async stop() {
      for (const release of held) release();
      await worker.close(true);
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    },
  };
}

async function graphile(): Promise<Probe> {
  const { Logger, makeWorkerUtils, run } = await import('graphile-worker');
  const logger = new Logger(() => () => {});
  const options = { connectionString: settings.pgUrl, schema: settings.schema, logger };
  const utils = await makeWorkerUtils(options);
  await utils.migrate();
  const runner = await run({
    ...options,
    concurrency: max,
    noHandleSignals: true,
    taskList: { hold: () => hold() },
  });
  let next = 0;
  return {
    async add(n) {
      for (let i = 0; i < n; i += 5_000) {
        await utils.addJobs(
          Array.from({ length: Math.min(5_000, n - i) }, () => ({
            identifier: 'hold',
            payload: { i: next++, pad: pad() },
          })),
        );
      }
    },
    async stop() {
      for (const release of held) release();
      await runner.stop();
      await utils.release();
    },
  };
}

const make = {
  'bare-node': bareNode,
  'ideamine-pg': ideamine,
  'bullmq-redis': bullmq,
  'graphile-worker': graphile,
}[settings.system];
const probe = await make();
const steps: Step[] = [await snapshot(0)];
let target = 0;
for (const inFlight of settings.ramp) {
  await probe.add(inFlight - target);
  target = inFlight;
  await until(() => started >= target, 120_000);
  steps.push(await snapshot(inFlight));
}
await probe.stop();
process.stdout.write(`${JSON.stringify({ steps })}\n`);
process.exit(0);
