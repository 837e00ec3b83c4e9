/**
 * A worker process for B6 (recovery after kill -9), started by bench/b6-recovery.ts, never by hand.
 * It runs one system's worker against the benchmark's store and reports on stdout, one line each:
 *   ready | start <jobId> <attempt> | done <jobId> <attempt>
 * Settings come from the environment (BENCH_RECOVERY, JSON) so that the parent controls the lease.
 */
import { WorkerPool } from '../../src/engine/worker-pool.ts';
import { SqlTaskQueue } from '../../src/queue/sql-task-queue.ts';
import { openDatabase } from '../../src/storage/open.ts';
import { RECOVERY_TASK, type RecoveryWorkerSettings } from './recovery-settings.ts';

const settings = JSON.parse(process.env['BENCH_RECOVERY'] ?? '{}') as RecoveryWorkerSettings;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function ideamine(): Promise<() => Promise<void>> {
  const db = await openDatabase({
    driver: 'postgres',
    url: settings.pgUrl,
    schema: settings.schema,
    applicationName: 'bench-b6',
  });
  const queue = new SqlTaskQueue(db, { defaultLeaseMs: settings.leaseMs });
  const pool = new WorkerPool({
    queue,
    concurrency: settings.concurrency,
    heartbeatMs: settings.heartbeatMs,
    handlers: new Map([
      [
        RECOVERY_TASK,
        async (ctx) => {
          say(`start ${ctx.task.id} ${ctx.task.attempt}`);
          await sleep(settings.taskMs, ctx.signal);
          say(`done ${ctx.task.id} ${ctx.task.attempt}`);
        },
      ],
    ]),
  });
  await pool.start();
  return async () => {
    await pool.stop({ graceMs: 2_000 });
    await db.close();
  };
}

async function bullmq(): Promise<() => Promise<void>> {
  const { Worker } = await import('bullmq');
  const u = new URL(settings.redisUrl);
  const worker = new Worker(
    'recovery',
    async (job) => {
      say(`start ${job.id} ${job.attemptsStarted}`);
      await sleep(settings.taskMs);
      say(`done ${job.id} ${job.attemptsStarted}`);
    },
    {
      connection: { host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null },
      prefix: `${settings.redisPrefix}:b6`,
      concurrency: settings.concurrency,
      lockDuration: settings.leaseMs,
      stalledInterval: settings.leaseMs,
      maxStalledCount: 5,
    },
  );
  worker.on('error', () => {});
  await worker.waitUntilReady();
  return async () => {
    await worker.close();
  };
}

const stop = settings.system === 'bullmq-redis' ? await bullmq() : await ideamine();
say('ready');
process.once('SIGTERM', () => {
  void stop().finally(() => process.exit(0));
});
