/**
 * B8 — memory per in-flight task. For each system a fresh process (node --expose-gc) ramps the
 * number of tasks held in flight (each with ~2 KB of state) and records heapUsed and RSS after a
 * forced GC at each step; bytes/task is the least-squares slope over the ramp. The floor is bare
 * Node: a pending Promise + a timer + a 2 KB object per task.
 * pg-boss and DBOS are not measured: pg-boss runs one polling loop per concurrent job
 * (localConcurrency), and DBOS holds workflows, not queue slots.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type BenchContext, guarded, runBenchmark } from './lib/context.ts';
import { dropSchema, uniqueSuffix } from './lib/pg-admin.ts';
import { round, slope } from './lib/stats.ts';
import { deleteRedisPrefix } from './subjects/bullmq.ts';
import type { MemoryProbeSettings } from './workers/memory-probe.ts';

const PROBE = join(import.meta.dirname, 'workers', 'memory-probe.ts');

interface Step {
  inFlight: number;
  heapUsed: number;
  rss: number;
  external: number;
}

function probe(settings: MemoryProbeSettings, timeoutMs: number): Promise<Step[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', PROBE], {
      env: { ...process.env, BENCH_MEMORY: JSON.stringify(settings) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve((JSON.parse(line) as { steps: Step[] }).steps);
      else
        reject(
          new Error(`probe exited ${code}: ${err.trim().split('\n').slice(-2).join(' | ').slice(0, 240)}`),
        );
    });
  });
}

const SYSTEMS: Array<{ system: MemoryProbeSettings['system']; name: string }> = [
  { system: 'bare-node', name: 'floor-bare-node' },
  { system: 'ideamine-pg', name: 'ideamine-pg' },
  { system: 'bullmq-redis', name: 'bullmq-redis' },
  { system: 'graphile-worker', name: 'graphile-worker' },
];

async function measure(
  ctx: BenchContext,
  system: MemoryProbeSettings['system'],
  name: string,
  run: number,
): Promise<void> {
  const schema = `bench_b8_${uniqueSuffix()}`;
  const ramp = run === 0 ? ctx.sizes.b8Ramp.slice(0, 2) : ctx.sizes.b8Ramp;
  try {
    const steps = await probe(
      { system, ramp, pgUrl: ctx.pgUrl, schema, redisUrl: ctx.redisUrl, redisPrefix: ctx.redisPrefix },
      ctx.mode === 'full' ? 900_000 : 240_000,
    );
    const loaded = steps.filter((s) => s.inFlight > 0);
    const xs = loaded.map((s) => s.inFlight);
    const top = steps[steps.length - 1];
    ctx.emit({
      system: name,
      config: `ramp ${ramp.map((r) => r.toLocaleString('en-US')).join('→')}`,
      run,
      warmup: run === 0,
      status: 'ok',
      metrics: {
        heap_per_task_bytes: round(
          slope(
            xs,
            loaded.map((s) => s.heapUsed),
          ),
          0,
        ),
        rss_per_task_bytes: round(
          slope(
            xs,
            loaded.map((s) => s.rss),
          ),
          0,
        ),
        external_per_task_bytes: round(
          slope(
            xs,
            loaded.map((s) => s.external),
          ),
          0,
        ),
        heap_at_max_bytes: top?.heapUsed ?? null,
        rss_at_max_bytes: top?.rss ?? null,
        baseline_rss_bytes: steps[0]?.rss ?? null,
      },
      show: ['heap_per_task_bytes', 'rss_per_task_bytes'],
      params: { steps, statePerTaskBytes: 2_048 },
    });
  } finally {
    if (system === 'ideamine-pg' || system === 'graphile-worker')
      await dropSchema(ctx.pgUrl, schema).catch(() => {});
    if (system === 'bullmq-redis')
      await deleteRedisPrefix(ctx.redisUrl, `${ctx.redisPrefix}:b8`).catch(() => {});
  }
}

await runBenchmark('b8', async (ctx) => {
  for (const { system, name } of SYSTEMS) {
    if (!ctx.wants(name)) continue;
    await guarded(ctx, { system: name, config: 'memory' }, async () => {
      for (const run of ctx.runIndexes()) {
        ctx.log(`${name} run ${run}`);
        await measure(ctx, system, name, run);
      }
    });
  }
  for (const name of ['pg-boss', 'dbos']) {
    if (!ctx.wants(name)) continue;
    const note =
      name === 'pg-boss'
        ? 'not measured: one polling loop per concurrent job (localConcurrency)'
        : 'not measured: DBOS queues hold workflows, not worker slots';
    ctx.emit({
      system: name,
      config: 'memory',
      run: 1,
      warmup: false,
      status: 'na',
      note,
      metrics: {},
      show: [],
    });
  }
});
