/**
 * B1 — no-op task throughput (burn-down). N tasks are enqueued in bulk, then one process with
 * `concurrency` handler slots drains them (closed loop). The clock runs from starting the workers
 * until the store holds no unacknowledged task, so deferred or batched completions are included.
 * Every run checks that each task was handled exactly once.
 */
import { type BenchContext, guarded, runBenchmark } from './lib/context.ts';
import type { Floor } from './lib/floors.ts';
import { measureQueueFloors } from './lib/queue-floor.ts';
import { round, waitFor } from './lib/stats.ts';
import { cpuWindowFor, subjectEnv } from './lib/subject-env.ts';
import { JobTracker } from './lib/tracker.ts';
import { makeQueueSubject, QUEUE_SUBJECTS } from './subjects/registry.ts';
import type { JobPayload, QueueSubject } from './subjects/subject.ts';

const CONFIGS = ['default', 'batched', 'claim1'] as const;
const RUN_TIMEOUT_MS = { smoke: 20_000, quick: 120_000, full: 600_000 } as const;

async function burnDown(
  ctx: BenchContext,
  subject: QueueSubject,
  config: string,
  run: number,
): Promise<void> {
  const n = run === 0 ? Math.max(50, Math.floor(ctx.sizes.b1Tasks / 5)) : ctx.sizes.b1Tasks;
  const concurrency = ctx.sizes.b1Concurrency;
  await subject.reset();
  const tracker = new JobTracker(n);
  const payloads: JobPayload[] = Array.from({ length: n }, (_, i) => ({ i }));
  const enqueueStart = performance.now();
  await subject.enqueueMany(payloads);
  const enqueueMs = performance.now() - enqueueStart;

  const { window, close } = await cpuWindowFor(ctx, subject.name);
  const start = performance.now();
  await subject.startWorkers((p) => tracker.hit(p.i), { concurrency, config });
  const timeoutMs = RUN_TIMEOUT_MS[ctx.mode];
  const allHandled = await tracker.whenAll(timeoutMs);
  const handledMs = performance.now() - start;
  const acked = await waitFor(async () => (await subject.remaining()) === 0, allHandled ? timeoutMs : 0, 20);
  const drainMs = performance.now() - start;
  const workerStats = subject.workerStats?.() ?? {};
  const cpu = await window.stop();
  close();
  await subject.stopWorkers();
  const unacked = await subject.remaining();
  const check = tracker.result(unacked);
  const launchMs = subject.startupMs ?? null;
  ctx.emit({
    system: subject.name,
    config,
    run,
    warmup: run === 0,
    status: 'ok',
    ...(acked ? {} : { note: `timed out after ${timeoutMs} ms with ${unacked} unacknowledged` }),
    metrics: {
      tasks_per_s: acked ? round(n / (drainMs / 1000), 1) : null,
      drain_ms: round(drainMs, 1),
      handled_ms: round(handledMs, 1),
      enqueue_per_s: round(n / (enqueueMs / 1000), 1),
      ...(launchMs !== null ? { launch_ms: round(launchMs, 1) } : {}),
      ...workerStats,
    },
    show: ['tasks_per_s'],
    check,
    cpu,
    params: { tasks: n, concurrency, processes: 1, settings: subject.settings },
  });
}

async function runSubject(ctx: BenchContext, subject: QueueSubject): Promise<void> {
  await subject.setup();
  try {
    for (const config of CONFIGS) {
      if (!(subject.configs as readonly string[]).includes(config)) {
        const why = subject.unsupported[config];
        if (why && config !== 'claim1') {
          ctx.emit({
            system: subject.name,
            config,
            run: 1,
            warmup: false,
            status: 'na',
            note: why,
            metrics: {},
            show: [],
          });
        }
        continue;
      }
      for (const run of ctx.runIndexes()) {
        ctx.log(`${subject.name} ${config} run ${run}`);
        await burnDown(ctx, subject, config, run);
      }
    }
  } finally {
    await subject.teardown();
  }
}

function emitFloor(ctx: BenchContext, config: string, floor: Floor, clients: number, run: number): void {
  if ('na' in floor) {
    ctx.emit({
      system: 'floor-pgbench',
      config,
      run,
      warmup: false,
      status: 'na',
      note: floor.na,
      metrics: {},
      show: [],
    });
    return;
  }
  ctx.emit({
    system: 'floor-pgbench',
    config,
    run,
    warmup: false,
    status: 'ok',
    metrics: {
      tasks_per_s: round(floor.ratePerS, 1),
      latency_avg_ms: floor.latencyAvgMs,
      failed_n: floor.failed,
    },
    show: ['tasks_per_s'],
    cpu: floor.cpu,
    params: { clients, mode: 'prepared', threads: 1, statements: 'copied from src/queue/sql-task-queue.ts' },
  });
}

await runBenchmark('b1', async (ctx) => {
  // The floor uses as many connections as IdeaMine's default pool (10).
  const clients = 10;
  const floorRuns = ctx.mode === 'smoke' ? 1 : ctx.runs;
  for (let run = 1; run <= floorRuns; run++) {
    await guarded(ctx, { system: 'floor-pgbench', config: 'insert+claim+complete' }, async () => {
      ctx.log(`floor pgbench run ${run}`);
      const floors = await measureQueueFloors(ctx, clients);
      emitFloor(ctx, 'insert+claim+complete', floors['insert+claim+complete'], clients, run);
      emitFloor(ctx, 'claim+complete', floors['claim+complete'], clients, run);
    });
  }
  const env = subjectEnv(ctx);
  for (const name of QUEUE_SUBJECTS) {
    if (!ctx.wants(name)) continue;
    await guarded(ctx, { system: name, config: 'default' }, async () =>
      runSubject(ctx, await makeQueueSubject(name, env)),
    );
  }
});
