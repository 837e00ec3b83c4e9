/**
 * Soak runner: full pipelines back to back on Postgres, in a fresh schema, for --minutes, with a
 * periodic fault (an `ideamine run` child killed with -9 at the start of a phase, then resumed in
 * this process). It samples this process, which drives the runs and runs their tasks, and prints one
 * JSON summary at the end: RSS slope per hour (least squares over the samples after warm-up),
 * event-loop delay p99 (perf_hooks), peak dead tuples of the schema (pg_stat_user_tables), queue
 * depth, run outcomes and ledger verification.
 *
 *   npm run soak -- --minutes 60 [--fault-every 3] [--sample-seconds 5] [--concurrency 4] [--keep]
 *
 * DATABASE_URL (or TEST_DATABASE_URL, or --database-url) names the Postgres; default
 * postgres://postgres@127.0.0.1:5432/test. Exit code 1 when a run failed or a ledger did not verify.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WorkerPool } from '../src/engine/worker-pool.ts';
import { verifyLedger } from '../src/observability/ledger.ts';
import type { RunOutcome } from '../src/orchestrator/orchestrator.ts';
import { openRuntime, type Runtime } from '../src/runtime.ts';

const BIN = fileURLToPath(new URL('../bin/ideamine.js', import.meta.url));
const IDEAS = [
  'A shared todo app for small teams',
  'A marketplace for renting camping gear',
  'A habit tracker that nudges through group chats',
  'A tool that turns meeting notes into tickets',
];
const PHASES_TO_KILL = ['ideation', 'critique', 'prd', 'bizdev', 'architecture', 'build', 'qa'];

interface Sample {
  atMs: number;
  rssMb: number;
  heapUsedMb: number;
  /** Heap still in use right after a full GC (when run with --expose-gc): what is retained. */
  heapAfterGcMb: number | null;
  deadTuples: number;
  queueDepth: number;
}

interface Args {
  minutes: number;
  faultEvery: number;
  sampleSeconds: number;
  concurrency: number;
  databaseUrl: string;
  keep: boolean;
}

function parse(): Args {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      'fault-every': { type: 'string', default: '3' },
      'sample-seconds': { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '4' },
      'database-url': { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const num = (name: string, text: string | undefined, min: number, max: number) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new Error(`--${name} must be a number from ${min} to ${max}`);
    return n;
  };
  return {
    minutes: num('minutes', values.minutes, 0.5, 7 * 24 * 60),
    faultEvery: Math.round(num('fault-every', values['fault-every'], 0, 1_000)),
    sampleSeconds: num('sample-seconds', values['sample-seconds'], 1, 600),
    concurrency: Math.round(num('concurrency', values.concurrency, 1, 64)),
    databaseUrl:
      values['database-url'] ??
      process.env['DATABASE_URL'] ??
      process.env['TEST_DATABASE_URL'] ??
      'postgres://postgres@127.0.0.1:5432/test',
    keep: values.keep ?? false,
  };
}

/** Least-squares slope of y over x. */
export function slope(points: ReadonlyArray<{ x: number; y: number }>): number | null {
  if (points.length < 3) return null;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? null : num / den;
}

function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? null;
}

const round = (n: number | null, d = 2) => (n === null ? null : Math.round(n * 10 ** d) / 10 ** d);

async function sample(
  rt: Runtime,
  schema: string,
  startedAt: number,
  loop: ReturnType<typeof monitorEventLoopDelay>,
): Promise<Sample> {
  const mem = process.memoryUsage();
  // A full GC pauses the loop: keep that pause out of the event-loop delay figures.
  const gc = (globalThis as { gc?: () => void }).gc;
  let heapAfterGcMb: number | null = null;
  if (gc) {
    loop.disable();
    gc();
    heapAfterGcMb = process.memoryUsage().heapUsed / 2 ** 20;
    loop.enable();
  }
  const dead = await rt.db.query<{ n: number }>(
    'select coalesce(sum(n_dead_tup), 0)::int as n from pg_stat_user_tables where schemaname = $1',
    [schema],
  );
  const depth = await rt.db.query<{ n: number }>(
    `select count(*)::int as n from tasks where state in ('ready', 'running')`,
  );
  return {
    atMs: Date.now() - startedAt,
    rssMb: mem.rss / 2 ** 20,
    heapUsedMb: mem.heapUsed / 2 ** 20,
    heapAfterGcMb,
    deadTuples: dead[0]?.n ?? 0,
    queueDepth: depth[0]?.n ?? 0,
  };
}

/**
 * Starts `ideamine run` as a child, kills it with -9 when `phase` starts (or after 60 s), and
 * returns the run id (undefined if the child never printed one).
 */
async function killedRun(
  args: Args,
  schema: string,
  home: string,
  idea: string,
  phase: string,
): Promise<string | undefined> {
  const child = spawn(process.execPath, [BIN, 'run', idea, '--json'], {
    env: {
      ...process.env,
      DATABASE_URL: args.databaseUrl,
      IDEAMINE_PG_SCHEMA: schema,
      IDEAMINE_HOME: home,
      IDEAMINE_LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let runId: string | undefined;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 60_000);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      try {
        const event = JSON.parse(line) as Record<string, unknown>;
        if (typeof event['runId'] === 'string') runId = event['runId'];
        if (event['type'] === 'phase.started' && event['phase'] === phase) {
          clearTimeout(timer);
          resolve();
        }
      } catch {
        // not JSON
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  return runId;
}

async function main(): Promise<number> {
  const args = parse();
  const schema = `soak_${randomBytes(4).toString('hex')}`;
  const home = mkdtempSync(join(tmpdir(), 'ideamine-soak-'));
  const rt = await openRuntime({
    home,
    databaseUrl: args.databaseUrl,
    pgSchema: schema,
    leaseMs: 30_000,
    logLevel: 'error',
    model: 'offline',
  });
  const pool = new WorkerPool({
    queue: rt.queue,
    handlers: rt.handlers,
    concurrency: args.concurrency,
    heartbeatMs: 5_000,
    pollMaxMs: 500,
  });
  await pool.start();
  rt.supervisor.start();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const startedAt = Date.now();
  const deadline = startedAt + args.minutes * 60_000;
  const samples: Sample[] = [];
  let sampling = Promise.resolve();
  const sampler = setInterval(() => {
    sampling = sampling.then(async () => {
      const s = await sample(rt, schema, startedAt, loop).catch(() => undefined);
      if (s) samples.push(s);
    });
  }, args.sampleSeconds * 1_000);
  const outcomes: Record<string, number> = {};
  const durations: number[] = [];
  const runIds: string[] = [];
  let faults = 0;
  let current: string | undefined;
  const pauseAtDeadline = setTimeout(
    () => {
      if (current) void rt.orchestrator.signal(current, 'pause').catch(() => {});
    },
    Math.max(0, deadline - Date.now()),
  );

  for (let i = 0; Date.now() < deadline; i++) {
    const idea = IDEAS[i % IDEAS.length] as string;
    const t0 = Date.now();
    let runId: string | undefined;
    if (args.faultEvery > 0 && i % args.faultEvery === args.faultEvery - 1) {
      runId = await killedRun(
        args,
        schema,
        home,
        idea,
        PHASES_TO_KILL[faults % PHASES_TO_KILL.length] as string,
      );
      faults++;
    }
    if (!runId) {
      const configs = await rt.loadPhaseConfigs();
      runId = (await rt.orchestrator.createRun({ title: idea, description: idea }, configs)).runId;
    }
    runIds.push(runId);
    current = runId;
    let outcome: RunOutcome | 'error';
    try {
      outcome = await rt.orchestrator.drive(runId);
    } catch (error) {
      outcome = 'error';
      process.stderr.write(`soak: run ${runId}: ${(error as Error).message}\n`);
    }
    current = undefined;
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (outcome === 'succeeded') durations.push(Date.now() - t0);
  }
  clearTimeout(pauseAtDeadline);
  clearInterval(sampler);
  await sampling;
  samples.push(await sample(rt, schema, startedAt, loop));
  loop.disable();

  let ledgerBroken = 0;
  for (const id of runIds) if (!(await verifyLedger(rt.db, id)).ok) ledgerBroken++;
  await pool.stop({ graceMs: 1_000 });
  await rt.close();
  if (!args.keep) {
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: args.databaseUrl });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
    rmSync(home, { recursive: true, force: true });
  }

  // Warm-up: the first fifth of the samples (module loading, caches, the first runs).
  const steady = samples.slice(Math.floor(samples.length / 5));
  const hours = (s: Sample) => s.atMs / 3_600_000;
  const rssSlope = slope(steady.map((s) => ({ x: hours(s), y: s.rssMb })));
  const heapSlope = slope(steady.map((s) => ({ x: hours(s), y: s.heapUsedMb })));
  const retained = steady.filter((s) => s.heapAfterGcMb !== null);
  const retainedSlope = slope(retained.map((s) => ({ x: hours(s), y: s.heapAfterGcMb as number })));
  const meanRss = steady.reduce((a, s) => a + s.rssMb, 0) / Math.max(1, steady.length);
  const summary = {
    event: 'soak.summary',
    minutes: args.minutes,
    elapsedMinutes: round((Date.now() - startedAt) / 60_000),
    schema: args.keep ? schema : `${schema} (dropped)`,
    runs: {
      started: runIds.length,
      outcomes,
      faults,
      durationP50Ms: percentile(durations, 0.5),
      durationP95Ms: percentile(durations, 0.95),
    },
    rss: {
      samples: samples.length,
      steadySamples: steady.length,
      startMb: round(samples[0]?.rssMb ?? null),
      endMb: round(samples.at(-1)?.rssMb ?? null),
      maxMb: round(Math.max(...samples.map((s) => s.rssMb))),
      slopeMbPerHour: round(rssSlope),
      slopePctPerHour: rssSlope === null ? null : round((rssSlope / meanRss) * 100),
    },
    heapUsedSlopeMbPerHour: round(heapSlope),
    heapAfterGc: retained.length
      ? {
          startMb: round(retained[0]?.heapAfterGcMb ?? null),
          endMb: round(retained.at(-1)?.heapAfterGcMb ?? null),
          slopeMbPerHour: round(retainedSlope),
        }
      : 'run with node --expose-gc (npm run soak does) to measure the heap retained after a full GC',
    eventLoopDelayMs: {
      p50: round(loop.percentile(50) / 1e6),
      p99: round(loop.percentile(99) / 1e6),
      max: round(loop.max / 1e6),
    },
    deadTuples: { max: Math.max(...samples.map((s) => s.deadTuples)), end: samples.at(-1)?.deadTuples ?? 0 },
    queueDepth: { max: Math.max(...samples.map((s) => s.queueDepth)), end: samples.at(-1)?.queueDepth ?? 0 },
    ledger: { runs: runIds.length, broken: ledgerBroken },
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  const failed = (outcomes['failed'] ?? 0) + (outcomes['error'] ?? 0) + (outcomes['cancelled'] ?? 0);
  return failed === 0 && ledgerBroken === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
