/**
 * B5 — heartbeat cost with N tasks in flight. The WorkerPool extends every in-flight lease with one
 * statement per heartbeat (SqlTaskQueue.heartbeat: an UPDATE … FROM jsonb_to_recordset of all
 * fences). This claims N tasks, then times that statement back to back, and measures:
 * - statement time (p50/p99) and the duty cycle it implies at the default heartbeat (5 s) and at H/3;
 * - Postgres CPU per heartbeat, WAL bytes per heartbeat (cluster-wide counter: other sessions on a
 *   shared server add to it), table growth (dead row versions);
 * - interference: p99 of unrelated single enqueues, alone and while heartbeats run back to back.
 */
import { SqlTaskQueue } from '../src/queue/sql-task-queue.ts';
import type { Fence } from '../src/queue/task-queue.ts';
import type { Database } from '../src/storage/database.ts';
import { type BenchContext, guarded, runBenchmark } from './lib/context.ts';
import { CpuWindow } from './lib/cpu.ts';
import { walBytes, withClient } from './lib/pg-admin.ts';
import { percentile, round } from './lib/stats.ts';
import { subjectEnv } from './lib/subject-env.ts';
import { openBenchDatabase } from './subjects/ideamine.ts';

const DEFAULT_HEARTBEAT_MS = 5_000;

async function enqueueLatencies(
  queue: SqlTaskQueue,
  until: () => boolean,
  minSamples: number,
): Promise<number[]> {
  const out: number[] = [];
  while (!until() || out.length < minSamples) {
    const t0 = performance.now();
    await queue.enqueue({ type: 'bench.unrelated', input: {} });
    out.push(performance.now() - t0);
  }
  return out;
}

async function tableBytes(db: Database): Promise<number> {
  const rows = await db.query<{ b: number }>("select pg_total_relation_size('tasks')::float8 as b");
  return rows[0]?.b ?? 0;
}

async function measure(
  ctx: BenchContext,
  db: Database,
  queue: SqlTaskQueue,
  fences: Fence[],
  run: number,
  system: string,
): Promise<void> {
  const beats = run === 0 ? 2 : ctx.sizes.b5Beats;
  const pg = db.driver === 'postgres';
  const baseline = await enqueueLatencies(queue, () => true, 50);
  const bytesBefore = await tableBytes(db);
  const walBefore = pg ? await withClient(ctx.pgUrl, (c) => walBytes(c)) : null;
  const window = pg
    ? await CpuWindow.start({ adminUrl: ctx.adminUrl, datname: ctx.benchDb })
    : await CpuWindow.start();
  const beatMs: number[] = [];
  let lost = 0;
  let done = false;
  const interference = enqueueLatencies(queue, () => done, 10);
  for (let i = 0; i < beats; i++) {
    const t0 = performance.now();
    lost += (await queue.heartbeat(fences)).lost.length;
    beatMs.push(performance.now() - t0);
  }
  done = true;
  const during = await interference;
  const cpu = await window.stop();
  const walAfter = pg ? await withClient(ctx.pgUrl, (c) => walBytes(c)) : null;
  const bytesAfter = await tableBytes(db);
  const p50 = percentile(beatMs, 50);
  const n = fences.length;
  ctx.emit({
    system,
    config: `${n.toLocaleString('en-US')} in flight`,
    run,
    warmup: run === 0,
    status: 'ok',
    ...(lost > 0 ? { note: `${lost} fences reported lost (harness bug)` } : {}),
    metrics: {
      beat_p50_ms: round(p50, 2),
      beat_p99_ms: round(percentile(beatMs, 99), 2),
      rows_per_s: p50 ? round(n / (p50 / 1000), 0) : null,
      duty_at_5s_pct: p50 ? round((p50 / DEFAULT_HEARTBEAT_MS) * 100, 2) : null,
      duty_at_1667ms_pct: p50 ? round((p50 / (DEFAULT_HEARTBEAT_MS / 3)) * 100, 2) : null,
      pg_cpu_per_beat_ms: cpu.pgMs === null ? null : round(cpu.pgMs / beats, 1),
      wal_per_beat_bytes:
        walBefore === null || walAfter === null ? null : round((walAfter - walBefore) / beats, 0),
      table_growth_per_beat_bytes: round((bytesAfter - bytesBefore) / beats, 0),
      enqueue_p99_alone_ms: round(percentile(baseline, 99), 2),
      enqueue_p99_during_ms: round(percentile(during, 99), 2),
    },
    show: ['beat_p50_ms', 'duty_at_5s_pct', 'enqueue_p99_during_ms'],
    cpu,
    params: { inFlight: n, beats, heartbeatStatements: 'one per beat for all fences (WorkerPool default)' },
  });
}

async function runDriver(ctx: BenchContext, driver: 'postgres' | 'pglite'): Promise<void> {
  const system = driver === 'postgres' ? 'ideamine-pg' : 'ideamine-pglite';
  const opened = await openBenchDatabase(driver, subjectEnv(ctx), 'hb');
  try {
    const queue = new SqlTaskQueue(opened.db, { defaultLeaseMs: 600_000 });
    const n = ctx.sizes.b5InFlight;
    for (let i = 0; i < n; i += 5_000) {
      await queue.enqueueMany(
        Array.from({ length: Math.min(5_000, n - i) }, (_, j) => ({ type: 'bench.hb', input: { i: i + j } })),
      );
    }
    const fences: Fence[] = [];
    while (fences.length < n) {
      const claimed = await queue.claim({ workerId: 'bench-b5', limit: 1_000, types: ['bench.hb'] });
      if (claimed.length === 0) break;
      for (const t of claimed) fences.push({ taskId: t.id, attempt: t.attempt });
    }
    for (const run of ctx.runIndexes()) {
      ctx.log(`${system} ${n} in flight run ${run}`);
      await measure(ctx, opened.db, queue, fences, run, system);
    }
  } finally {
    await opened.cleanup();
  }
}

await runBenchmark('b5', async (ctx) => {
  if (ctx.wants('ideamine-pg'))
    await guarded(ctx, { system: 'ideamine-pg', config: 'heartbeat' }, () => runDriver(ctx, 'postgres'));
  if (ctx.wants('ideamine-pglite'))
    await guarded(ctx, { system: 'ideamine-pglite', config: 'heartbeat' }, () => runDriver(ctx, 'pglite'));
  for (const peer of ['bullmq-redis', 'graphile-worker']) {
    if (!ctx.wants(peer)) continue;
    ctx.emit({
      system: peer,
      config: 'heartbeat',
      run: 1,
      warmup: false,
      status: 'na',
      note:
        peer === 'bullmq-redis'
          ? 'not measured: BullMQ renews all active locks from one timer every lockDuration/2 (15 s); needs ≥30 s per run'
          : 'nothing to measure: graphile-worker has no heartbeat (a dead worker’s jobs wait for the 4 h lock timeout)',
      metrics: {},
      show: [],
    });
  }
});
