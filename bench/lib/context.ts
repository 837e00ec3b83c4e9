import { loadavg } from 'node:os';
import {
  type BenchId,
  DEFAULT_RUNS,
  type Mode,
  parseRunnerArgs,
  SIZES,
  type Sizes,
  WARMUP,
} from './options.ts';
import { assertLoopback, createDatabase, databaseUrl, dropDatabase, uniqueSuffix } from './pg-admin.ts';
import { type BenchRecord, RECORD_PREFIX } from './record.ts';

/**
 * What a benchmark script receives from the runner (bench/run.ts spawns one process per benchmark
 * and passes this as JSON in IDEAMINE_BENCH_CONTEXT). A script started on its own
 * (`node bench/b1-throughput.ts --smoke`) builds one itself, with its own database.
 */
export interface SessionContext {
  mode: Mode;
  runs: number;
  warmup: boolean;
  systems: string[] | undefined;
  /** A database that exists only for this benchmark session (dropped at the end). */
  benchDb: string;
  /** The configured server, for admin connections (CREATE/DROP DATABASE, CPU sampling). */
  adminUrl: string;
  redisUrl: string;
  /** Every Redis key a benchmark writes starts with this; cleanup deletes exactly these. */
  redisPrefix: string;
}

export interface BenchContext extends SessionContext {
  bench: BenchId;
  sizes: Sizes;
  /** URL of the session database. */
  pgUrl: string;
  /** Writes one row; `bench` defaults to this script's (B9 also writes B3's coordinator rows). */
  emit(record: Omit<BenchRecord, 'bench'> & { bench?: BenchId }): void;
  /** Whether `--systems` selected this subject (floors always run). */
  wants(system: string): boolean;
  log(message: string): void;
  /** Runs as `[0 = warm-up?, 1..runs]`. */
  runIndexes(): number[];
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export const CONTEXT_ENV = 'IDEAMINE_BENCH_CONTEXT';
export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export function sessionDefaults(mode: Mode, runs: number, systems: string[] | undefined): SessionContext {
  const adminUrl = process.env['BENCH_DATABASE_URL'] ?? DEFAULT_PG_URL;
  const redisUrl = process.env['BENCH_REDIS_URL'] ?? DEFAULT_REDIS_URL;
  assertLoopback(adminUrl);
  assertLoopback(redisUrl);
  const id = uniqueSuffix();
  return {
    mode,
    runs,
    warmup: WARMUP[mode],
    systems,
    benchDb: `ideamine_bench_${id}`,
    adminUrl,
    redisUrl,
    redisPrefix: `ideamine-bench-${id}`,
  };
}

function makeContext(bench: BenchId, session: SessionContext): BenchContext {
  // Each row records the 1-minute load average when its measurement began (the previous row's
  // end, or the script's start) and when it was written: a figure taken on a busy box says so.
  let loadBefore = loadavg()[0] ?? 0;
  return {
    ...session,
    bench,
    sizes: SIZES[session.mode],
    pgUrl: databaseUrl(session.adminUrl, session.benchDb),
    emit(record) {
      const after = loadavg()[0] ?? 0;
      const load = record.load ?? { before: round2(loadBefore), after: round2(after) };
      loadBefore = after;
      process.stdout.write(`${RECORD_PREFIX}${JSON.stringify({ bench, ...record, load })}\n`);
    },
    wants(system) {
      return (
        !session.systems ||
        session.systems.includes(system) ||
        system.startsWith('floor-') ||
        system.startsWith('raw-')
      );
    },
    log(message) {
      process.stderr.write(`[${bench}] ${message}\n`);
    },
    runIndexes() {
      const runs = Array.from({ length: session.runs }, (_, i) => i + 1);
      return session.warmup ? [0, ...runs] : runs;
    },
  };
}

/**
 * Entry point of every benchmark script: builds the context (from the runner, or standalone with a
 * database of its own), runs `body`, and exits non-zero on an uncaught failure.
 */
export async function runBenchmark(
  bench: BenchId,
  body: (ctx: BenchContext) => Promise<void>,
): Promise<void> {
  const fromRunner = process.env[CONTEXT_ENV];
  let session: SessionContext;
  let ownDb = false;
  if (fromRunner) {
    session = JSON.parse(fromRunner) as SessionContext;
  } else {
    const args = parseRunnerArgs(process.argv.slice(2));
    session = sessionDefaults(args.mode, args.runs ?? DEFAULT_RUNS[args.mode], args.systems);
    await createDatabase(session.adminUrl, session.benchDb);
    ownDb = true;
  }
  const ctx = makeContext(bench, session);
  let failed = false;
  try {
    await body(ctx);
  } catch (error) {
    failed = true;
    ctx.log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    if (ownDb) await dropDatabase(session.adminUrl, session.benchDb).catch(() => {});
  }
  // Peers leave timers and sockets behind (that is their business); the benchmark is over.
  process.exit(failed ? 1 : 0);
}

/** Runs one subject's part of a benchmark; a failure becomes an `error` row instead of ending the script. */
export async function guarded(
  ctx: BenchContext,
  row: { system: string; config: string },
  fn: () => Promise<void>,
): Promise<void> {
  try {
    await fn();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ctx.log(`${row.system} ${row.config}: ${error instanceof Error ? (error.stack ?? message) : message}`);
    ctx.emit({
      ...row,
      run: 1,
      warmup: false,
      status: 'error',
      note: message.slice(0, 300),
      metrics: {},
      show: [],
    });
  }
}
