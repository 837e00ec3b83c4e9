/**
 * B4 — checkpoint write latency for payloads of 1 KB … 1 MB: IdeaMine's saveCheckpoint (fenced
 * upsert of the task's checkpoint row) against a raw INSERT of the same JSON into a plain jsonb
 * table, through the same Database and driver, on Postgres and on PGlite. Payloads are random
 * base64 so TOAST compression cannot shrink them (LLM text compresses far less than 'xxxx…').
 */
import { randomBytes } from 'node:crypto';
import { SqlTaskQueue } from '../src/queue/sql-task-queue.ts';
import type { Fence } from '../src/queue/task-queue.ts';
import type { Database } from '../src/storage/database.ts';
import { type BenchContext, guarded, runBenchmark } from './lib/context.ts';
import { CpuWindow } from './lib/cpu.ts';
import { mean, percentile, round } from './lib/stats.ts';
import { subjectEnv } from './lib/subject-env.ts';
import { openBenchDatabase } from './subjects/ideamine.ts';

type Writer = (fence: Fence, data: unknown) => Promise<void>;

function label(bytes: number): string {
  return bytes >= 1_048_576 ? `${bytes / 1_048_576}MB` : `${Math.round(bytes / 1_024)}KB`;
}

/** A JSON object whose serialized size is `bytes` (±20), made of incompressible text. */
function payload(bytes: number): { blob: string } {
  const chars = Math.max(1, bytes - 12);
  return {
    blob: randomBytes(Math.ceil((chars * 3) / 4))
      .toString('base64')
      .slice(0, chars),
  };
}

async function timeWrites(
  writer: Writer,
  fences: readonly Fence[],
  data: unknown,
  total: number,
): Promise<number[]> {
  const perWriter = Math.max(3, Math.ceil(total / fences.length));
  const latencies: number[] = [];
  await Promise.all(
    fences.map(async (fence) => {
      for (let i = 0; i < perWriter; i++) {
        const t0 = performance.now();
        await writer(fence, data);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return latencies;
}

async function runDriver(ctx: BenchContext, driver: 'postgres' | 'pglite'): Promise<void> {
  const suffix = driver === 'postgres' ? 'pg' : 'pglite';
  const opened = await openBenchDatabase(driver, subjectEnv(ctx), 'ckpt');
  const db: Database = opened.db;
  try {
    await db.exec('create table bench_raw_ckpt (id bigserial primary key, data jsonb not null)');
    const queue = new SqlTaskQueue(db, { defaultLeaseMs: 600_000 });
    const maxConcurrency = Math.max(...ctx.sizes.b4Concurrency);
    await queue.enqueueMany(
      Array.from({ length: maxConcurrency }, (_, i) => ({ type: 'bench.ckpt', input: { i } })),
    );
    const claimed = await queue.claim({ workerId: 'bench-b4', limit: maxConcurrency });
    const allFences = claimed.map((t) => ({ taskId: t.id, attempt: t.attempt }));
    let token = 0;
    const writers: Record<string, Writer> = {
      [`ideamine-${suffix}`]: (fence, data) => queue.saveCheckpoint(fence, `t${token++}`, data),
      [`raw-insert-${suffix}`]: async (_fence, data) => {
        await db.query('insert into bench_raw_ckpt (data) values ($1)', [JSON.stringify(data)]);
      },
    };
    for (const bytes of ctx.sizes.b4Bytes) {
      const data = payload(bytes);
      for (const concurrency of ctx.sizes.b4Concurrency) {
        if (bytes >= 1_048_576 && concurrency > 1 && driver === 'pglite') continue; // one connection: same as c1
        const fences = allFences.slice(0, concurrency);
        const config = `${label(bytes)} c${concurrency}`;
        for (const run of ctx.runIndexes()) {
          // Alternate which writer goes first, so neither always runs on a warmer cache.
          const order = run % 2 === 0 ? Object.entries(writers) : Object.entries(writers).reverse();
          for (const [system, writer] of order) {
            if (!ctx.wants(system)) continue;
            const window =
              driver === 'postgres'
                ? await CpuWindow.start({ adminUrl: ctx.adminUrl, datname: ctx.benchDb })
                : await CpuWindow.start();
            const samples =
              run === 0 ? Math.max(3, Math.floor(ctx.sizes.b4Samples / 4)) : ctx.sizes.b4Samples;
            const latencies = await timeWrites(writer, fences, data, samples);
            const cpu = await window.stop();
            await db.exec('truncate bench_raw_ckpt');
            ctx.emit({
              system,
              config,
              run,
              warmup: run === 0,
              status: 'ok',
              metrics: {
                p50_ms: round(percentile(latencies, 50), 3),
                p99_ms: round(percentile(latencies, 99), 3),
                mean_ms: round(mean(latencies), 3),
                mb_per_s: round((latencies.length * bytes) / 1_048_576 / (cpu.wallMs / 1000), 2),
              },
              show: ['p50_ms', 'p99_ms'],
              cpu,
              params: {
                bytes,
                concurrency,
                samples: latencies.length,
                durableFsync: db.capabilities.durableFsync,
              },
            });
          }
        }
      }
    }
  } finally {
    await opened.cleanup();
  }
}

await runBenchmark('b4', async (ctx) => {
  await guarded(ctx, { system: 'ideamine-pg', config: 'all' }, () => runDriver(ctx, 'postgres'));
  if (ctx.wants('ideamine-pglite'))
    await guarded(ctx, { system: 'ideamine-pglite', config: 'all' }, () => runDriver(ctx, 'pglite'));
});
