/**
 * B2 — enqueue→start latency, from the moment the producer calls enqueue to the moment the handler
 * starts (same process, same clock).
 * - idle: one job at a time, the next 10 ms after the previous one started (graphile's latencyTest).
 * - loaded: a capacity probe first (see `capacity`), then Poisson arrivals at 50% of it for a fixed
 *   time (open loop). Latency counts from each job's *scheduled* arrival, so a producer that
 *   falls behind is charged for it (no coordinated omission).
 */
import { type BenchContext, guarded, runBenchmark } from './lib/context.ts';
import { measureEnqueueFloor } from './lib/queue-floor.ts';
import { mean, percentile, poissonGapMs, round, seededRandom, sleep, waitFor } from './lib/stats.ts';
import { cpuWindowFor, subjectEnv } from './lib/subject-env.ts';
import { JobTracker } from './lib/tracker.ts';
import { makeQueueSubject, QUEUE_SUBJECTS } from './subjects/registry.ts';
import type { JobPayload, QueueSubject } from './subjects/subject.ts';

const SAMPLE_TIMEOUT_MS = 5_000;
const MAX_OUTSTANDING_ENQUEUES = 256;

class Probe {
  tracker = new JobTracker(0);
  #waiters = new Map<number, () => void>();

  reset(n: number): void {
    this.tracker = new JobTracker(n, { timeStarts: true });
    this.#waiters.clear();
  }

  hit = (p: JobPayload): void => {
    this.tracker.hit(p.i);
    const waiter = this.#waiters.get(p.i);
    if (waiter) {
      this.#waiters.delete(p.i);
      waiter();
    }
  };

  started(i: number, timeoutMs: number): Promise<boolean> {
    if (!Number.isNaN(this.tracker.startedAt(i))) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(i);
        resolve(false);
      }, timeoutMs);
      this.#waiters.set(i, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

function latencyMetrics(latencies: readonly number[]): Record<string, number | null> {
  return {
    p50_ms: round(percentile(latencies, 50), 3),
    p99_ms: round(percentile(latencies, 99), 3),
    mean_ms: round(mean(latencies), 3),
    max_ms: round(latencies.length ? Math.max(...latencies) : null, 3),
  };
}

async function idle(ctx: BenchContext, subject: QueueSubject, probe: Probe, run: number): Promise<void> {
  const n = run === 0 ? Math.max(5, Math.floor(ctx.sizes.b2IdleSamples / 5)) : ctx.sizes.b2IdleSamples;
  probe.reset(n);
  const latencies: number[] = [];
  const { window, close } = await cpuWindowFor(ctx, subject.name);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await subject.enqueueOne({ i });
    if (await probe.started(i, SAMPLE_TIMEOUT_MS)) latencies.push(probe.tracker.startedAt(i) - t0);
    await sleep(10);
  }
  const cpu = await window.stop();
  close();
  ctx.emit({
    system: subject.name,
    config: 'idle',
    run,
    warmup: run === 0,
    status: 'ok',
    metrics: latencyMetrics(latencies),
    show: ['p50_ms', 'p99_ms'],
    check: probe.tracker.result(),
    cpu,
    params: { samples: n, gapMs: 10, settings: subject.settings },
  });
}

/**
 * The capacity the loaded phase takes 50% of: the lower of (a) a burn-down of bulk-enqueued jobs
 * with the running workers and (b) the rate at which 16 producers can enqueue one job at a time
 * (closed loop) while the workers run. (b) matters: single enqueues each commit, and a load above
 * it would measure the producer queueing, not dispatch.
 */
async function capacity(
  ctx: BenchContext,
  subject: QueueSubject,
  probe: Probe,
): Promise<{ drain: number; enqueue: number }> {
  const n = ctx.sizes.b2ProbeTasks;
  probe.reset(n);
  const start = performance.now();
  await subject.enqueueMany(Array.from({ length: n }, (_, i) => ({ i })));
  const ok = await probe.tracker.whenAll(60_000);
  const drain = (ok ? n : probe.tracker.distinct) / ((performance.now() - start) / 1000);
  probe.reset(n);
  let next = 0;
  const t0 = performance.now();
  const deadline = t0 + Math.min(2_000, ctx.sizes.b2LoadedMs / 2);
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < deadline && next < n) await subject.enqueueOne({ i: next++ });
    }),
  );
  const enqueue = next / ((performance.now() - t0) / 1000);
  // `next` ≤ n jobs went in: wait until the store is empty rather than for n starts.
  await waitFor(async () => (await subject.remaining()) === 0, 30_000, 20);
  return { drain, enqueue };
}

async function loaded(
  ctx: BenchContext,
  subject: QueueSubject,
  probe: Probe,
  ratePerS: number,
  run: number,
  cap: { drain: number; enqueue: number },
): Promise<void> {
  const durationMs = run === 0 ? ctx.sizes.b2LoadedMs / 4 : ctx.sizes.b2LoadedMs;
  const random = seededRandom(1_000 + run);
  const schedule: number[] = [];
  for (let t = poissonGapMs(ratePerS, random); t < durationMs; t += poissonGapMs(ratePerS, random))
    schedule.push(t);
  probe.reset(schedule.length);
  const { window, close } = await cpuWindowFor(ctx, subject.name);
  subject.resetWorkerStats?.();
  const origin = performance.now();
  let outstanding = 0;
  let enqueueErrors = 0;
  const enqueuedAt = new Float64Array(schedule.length).fill(Number.NaN);
  for (const [i, at] of schedule.entries()) {
    const wait = origin + at - performance.now();
    if (wait > 1) await sleep(wait);
    while (outstanding >= MAX_OUTSTANDING_ENQUEUES) await sleep(1);
    outstanding++;
    subject
      .enqueueOne({ i })
      .then(() => {
        enqueuedAt[i] = performance.now();
      })
      .catch(() => enqueueErrors++)
      .finally(() => outstanding--);
  }
  await probe.tracker.whenAll(30_000);
  await waitFor(() => outstanding === 0, 10_000);
  const cpu = await window.stop();
  const workerStats = subject.workerStats?.() ?? {};
  close();
  const latencies = schedule
    .map((at, i) => probe.tracker.startedAt(i) - (origin + at))
    .filter((v) => !Number.isNaN(v));
  // Where the time goes: until the producer's enqueue call returned, then until the handler started
  // (negative when a worker starts the job before the producer has seen its commit).
  const enqueueMs = schedule
    .map((at, i) => (enqueuedAt[i] ?? Number.NaN) - (origin + at))
    .filter((v) => !Number.isNaN(v));
  const pickupMs = schedule
    .map((_, i) => probe.tracker.startedAt(i) - (enqueuedAt[i] ?? Number.NaN))
    .filter((v) => !Number.isNaN(v));
  ctx.emit({
    system: subject.name,
    config: 'loaded 50%',
    run,
    warmup: run === 0,
    status: 'ok',
    ...(enqueueErrors > 0 ? { note: `${enqueueErrors} enqueue errors` } : {}),
    metrics: {
      ...latencyMetrics(latencies),
      enqueue_p50_ms: round(percentile(enqueueMs, 50), 3),
      enqueue_p99_ms: round(percentile(enqueueMs, 99), 3),
      pickup_p50_ms: round(percentile(pickupMs, 50), 3),
      pickup_p99_ms: round(percentile(pickupMs, 99), 3),
      ...workerStats,
      offered_per_s: round(ratePerS, 1),
      capacity_drain_per_s: round(cap.drain, 1),
      capacity_enqueue_per_s: round(cap.enqueue, 1),
      achieved_per_s: round(schedule.length / (durationMs / 1000), 1),
    },
    show: ['p50_ms', 'p99_ms'],
    check: probe.tracker.result(),
    cpu,
    params: { durationMs, arrivals: schedule.length, seed: 1_000 + run, settings: subject.settings },
  });
}

async function runSubject(ctx: BenchContext, subject: QueueSubject): Promise<void> {
  await subject.setup();
  const probe = new Probe();
  try {
    await subject.startWorkers(probe.hit, {
      concurrency: Math.max(...ctx.sizes.b1Concurrency),
      config: 'default',
    });
    for (const run of ctx.runIndexes()) {
      ctx.log(`${subject.name} idle run ${run}`);
      await idle(ctx, subject, probe, run);
    }
    const cap = await capacity(ctx, subject, probe);
    const rate = Math.max(1, Math.min(cap.drain, cap.enqueue) / 2);
    ctx.log(
      `${subject.name} drain ≈ ${Math.round(cap.drain)}/s, enqueue ≈ ${Math.round(cap.enqueue)}/s; loaded at ${Math.round(rate)}/s`,
    );
    for (const run of ctx.runIndexes()) await loaded(ctx, subject, probe, rate, run, cap);
  } finally {
    await subject.stopWorkers().catch(() => {});
    await subject.teardown();
  }
}

await runBenchmark('b2', async (ctx) => {
  await guarded(ctx, { system: 'floor-pgbench', config: 'idle' }, async () => {
    const floor = await measureEnqueueFloor(ctx);
    if ('na' in floor) {
      ctx.emit({
        system: 'floor-pgbench',
        config: 'idle',
        run: 1,
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
      config: 'idle',
      run: 1,
      warmup: false,
      status: 'ok',
      note: 'pgbench -c1: the enqueue transaction alone (insert + NOTIFY + commit), average',
      metrics: { latency_avg_ms: floor.latencyAvgMs, tps_per_s: round(floor.ratePerS, 1) },
      show: ['latency_avg_ms'],
      cpu: floor.cpu,
    });
  });
  const env = subjectEnv(ctx);
  for (const name of QUEUE_SUBJECTS) {
    if (!ctx.wants(name)) continue;
    await guarded(ctx, { system: name, config: 'idle' }, async () =>
      runSubject(ctx, await makeQueueSubject(name, env)),
    );
  }
});
