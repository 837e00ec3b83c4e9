/**
 * B1 — no-op task throughput (burn-down). N tasks are enqueued in bulk; a worker in its OWN process
 * (library loaded and connections open before the clock) drains them with `concurrency` slots. The
 * clock starts when the jobs are all enqueued and the worker has said it is ready, and stops when
 * the store holds no unacknowledged job (deferred or batched completions included). Every run checks
 * that each job was handled exactly once.
 *
 * The floor is a plain `FOR UPDATE SKIP LOCKED` claim + complete on a minimal table
 * (bench/lib/plain-floor.ts), run by pgbench and by a raw Node loop — not IdeaMine's own SQL.
 * Runs are interleaved (run 1 of every subject, then run 2, …) so that a change in the machine's
 * load spreads over all subjects instead of landing on one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type BenchContext, guarded, runBenchmark } from './lib/context.ts';
import type { Floor } from './lib/floors.ts';
import { PlainFloorStore } from './lib/plain-floor.ts';
import { round, waitFor } from './lib/stats.ts';
import { cpuWindowFor, subjectEnv } from './lib/subject-env.ts';
import { makeQueueSubject, QUEUE_SUBJECTS, type QueueSubjectName } from './subjects/registry.ts';
import type { JobPayload, QueueSubject, SubjectEnv } from './subjects/subject.ts';
import type { B1WorkerResult, B1WorkerSettings } from './workers/b1-worker.ts';

const WORKER = join(import.meta.dirname, 'workers', 'b1-worker.ts');
const CONFIGS = ['default', 'batched'] as const;
const RUN_TIMEOUT_MS = { smoke: 20_000, quick: 120_000, full: 300_000 } as const;
/** Connections of each worker: graphile-worker's and pg-boss's default pool, and IdeaMine's. */
const WORKER_CONNECTIONS = 10;

interface Prepared {
  name: QueueSubjectName;
  subject: QueueSubject;
  env: SubjectEnv;
}

/** A worker process that has loaded its library and connected; `go` starts the clock's work. */
class WorkerProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly handled: Promise<void>;
  readonly result: Promise<B1WorkerResult>;

  constructor(settings: B1WorkerSettings) {
    this.child = spawn(process.execPath, [WORKER], {
      env: { ...process.env, BENCH_B1: JSON.stringify(settings) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise<never>((_, reject) =>
      this.child.once('exit', (code) => reject(new Error(`b1 worker exited with ${code}`))),
    );
    exited.catch(() => {});
    // One reader of the child's lines; each awaited word resolves once.
    const waiting = new Map<string, (rest: string) => void>();
    const lines = createInterface({ input: this.child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const [word = '', ...rest] = line.split(' ');
      waiting.get(word)?.(rest.join(' '));
    });
    const said = (word: string) =>
      Promise.race([new Promise<string>((resolve) => waiting.set(word, resolve)), exited]);
    this.ready = said('ready').then(() => {});
    this.handled = said('handled').then(() => {});
    this.result = said('result').then((json) => JSON.parse(json) as B1WorkerResult);
    for (const p of [this.ready, this.handled, this.result]) p.catch(() => {});
  }

  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

async function burnDown(
  ctx: BenchContext,
  p: Prepared,
  config: string,
  concurrency: number,
  run: number,
): Promise<void> {
  const n = jobsFor(ctx, run);
  await p.subject.reset();
  const worker = new WorkerProcess({ subject: p.name, env: p.env, config, concurrency, jobs: n });
  try {
    const payloads: JobPayload[] = Array.from({ length: n }, (_, i) => ({ i }));
    const enqueueStart = performance.now();
    await p.subject.enqueueMany(payloads);
    const enqueueMs = performance.now() - enqueueStart;
    await worker.ready;

    const { window, close } = await cpuWindowFor(ctx, p.name);
    const start = performance.now();
    worker.send('go');
    const timeoutMs = RUN_TIMEOUT_MS[ctx.mode];
    const allHandled = await Promise.race([
      worker.handled.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
    ]);
    const handledMs = performance.now() - start;
    const acked = await waitFor(
      async () => (await p.subject.remaining()) === 0,
      allHandled ? timeoutMs : 0,
      20,
    );
    const drainMs = performance.now() - start;
    const cpu = await window.stop();
    close();
    worker.send('stop');
    const result = await worker.result;
    // The worker's own process did the client work; this process only waited and counted.
    cpu.clientMs = result.cpuMs;
    cpu.clientPct = round((result.cpuMs / cpu.wallMs) * 100, 1) ?? 0;
    const unacked = await p.subject.remaining();
    ctx.emit({
      system: p.name,
      config: `${config} c=${concurrency}`,
      run,
      warmup: run === 0,
      status: 'ok',
      ...(acked ? {} : { note: `timed out after ${timeoutMs} ms with ${unacked} unacknowledged` }),
      metrics: {
        tasks_per_s: acked ? round(n / (drainMs / 1000), 1) : null,
        drain_ms: round(drainMs, 1),
        handled_ms: round(handledMs, 1),
        worker_start_ms: result.startMs,
        enqueue_per_s: round(n / (enqueueMs / 1000), 1),
        ...result.workerStats,
      },
      show: ['tasks_per_s'],
      check: {
        expected: n,
        processed: result.processed,
        duplicates: result.duplicates,
        losses: Math.max(n - result.processed, unacked),
      },
      cpu,
      params: {
        tasks: n,
        concurrency,
        processes: 1,
        workerConnections: WORKER_CONNECTIONS,
        settings: p.subject.settings,
      },
    });
  } finally {
    worker.kill();
  }
}

function jobsFor(ctx: BenchContext, run: number): number {
  return run === 0 ? Math.max(50, Math.floor(ctx.sizes.b1Tasks / 5)) : ctx.sizes.b1Tasks;
}

function emitFloor(ctx: BenchContext, config: string, run: number, floor: Floor, clients: number): void {
  if ('na' in floor) {
    ctx.emit({
      system: 'floor-pgbench',
      config,
      run,
      warmup: run === 0,
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
    warmup: run === 0,
    status: 'ok',
    metrics: {
      tasks_per_s: round(floor.ratePerS, 1),
      latency_avg_ms: floor.latencyAvgMs,
      failed_n: floor.failed,
    },
    show: ['tasks_per_s'],
    cpu: floor.cpu,
    params: { clients, mode: 'prepared', threads: 1, statements: 'plain SKIP LOCKED claim + complete' },
  });
}

async function floors(
  ctx: BenchContext,
  store: PlainFloorStore,
  concurrency: number,
  run: number,
): Promise<void> {
  const n = jobsFor(ctx, run);
  const connections = Math.min(concurrency, WORKER_CONNECTIONS);
  const config = `claim+complete c=${concurrency}`;
  await guarded(ctx, { system: 'floor-pgbench', config }, async () =>
    emitFloor(ctx, config, run, await store.pgbench(n, connections), connections),
  );
  await guarded(ctx, { system: 'floor-node-pg', config }, async () => {
    const r = await store.nodeLoop(n, concurrency, connections);
    ctx.emit({
      system: 'floor-node-pg',
      config,
      run,
      warmup: run === 0,
      status: 'ok',
      metrics: { tasks_per_s: round(r.ratePerS, 1), drain_ms: round(r.drainMs, 1) },
      show: ['tasks_per_s'],
      check: r.check,
      cpu: r.cpu,
      params: { tasks: n, concurrency, connections, statements: 'plain SKIP LOCKED claim + complete' },
    });
  });
}

await runBenchmark('b1', async (ctx) => {
  const prepared: Prepared[] = [];
  for (const name of QUEUE_SUBJECTS) {
    if (!ctx.wants(name)) continue;
    await guarded(ctx, { system: name, config: 'default' }, async () => {
      const env = subjectEnv(ctx);
      const subject = await makeQueueSubject(name, env);
      if (!subject.attach || subject.singleProcess) {
        ctx.emit({
          system: name,
          config: 'default',
          run: 1,
          warmup: false,
          status: 'na',
          note: subject.singleProcess
            ? 'embedded (PGlite, one process): B1 runs every worker in a process of its own'
            : 'its worker cannot run in a process of its own here',
          metrics: {},
          show: [],
        });
        return;
      }
      await subject.setup();
      prepared.push({ name, subject, env });
    });
  }
  for (const p of prepared) {
    for (const config of CONFIGS) {
      if ((p.subject.configs as readonly string[]).includes(config)) continue;
      const note = p.subject.unsupported[config] ?? 'not supported';
      ctx.emit({ system: p.name, config, run: 1, warmup: false, status: 'na', note, metrics: {}, show: [] });
    }
  }
  const store = new PlainFloorStore(ctx);
  await store.setup();
  try {
    for (const run of ctx.runIndexes()) {
      for (const concurrency of ctx.sizes.b1Concurrency) {
        // One warm-up per subject is enough to load caches and JIT; it runs at the first concurrency.
        if (run === 0 && concurrency !== ctx.sizes.b1Concurrency[0]) continue;
        ctx.log(`run ${run} c=${concurrency}: floors`);
        await floors(ctx, store, concurrency, run);
        for (const p of prepared) {
          for (const config of CONFIGS) {
            if (!(p.subject.configs as readonly string[]).includes(config)) continue;
            ctx.log(`run ${run} c=${concurrency}: ${p.name} ${config}`);
            await guarded(ctx, { system: p.name, config: `${config} c=${concurrency}` }, () =>
              burnDown(ctx, p, config, concurrency, run),
            );
          }
        }
      }
    }
  } finally {
    await store.teardown().catch(() => {});
    for (const p of prepared) await p.subject.teardown().catch(() => {});
  }
});
