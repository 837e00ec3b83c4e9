/**
 * Run modes and the sizes each benchmark uses in them. One table so that `--smoke`, quick and
 * `--full` differ only in numbers, never in code paths: the smoke run keeps every path alive in CI.
 */

export type Mode = 'smoke' | 'quick' | 'full';

export const BENCH_IDS = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8', 'b9'] as const;
/**
 * What `--full` runs unless `--only` says otherwise: the benchmarks behind issue 13's goals (B1, B2,
 * B3's real coordinator, B6, B7, B9), sized to fit about 20 minutes on a loaded 2-core machine.
 * B4, B5 and B8 (checkpoints, heartbeats, memory per task) are added with `--only`.
 */
export const FULL_DEFAULT: readonly BenchId[] = ['b1', 'b2', 'b3', 'b6', 'b7', 'b9'];
export type BenchId = (typeof BENCH_IDS)[number];

export interface RunnerArgs {
  mode: Mode;
  only: BenchId[];
  /** Measured runs per configuration (after one warm-up, which is not counted). */
  runs: number;
  /** Peers to include; default all. `--systems ideamine-pg,graphile-worker`. */
  systems: string[] | undefined;
}

/** Full mode: median of 3 (a real median: the middle run, never the lower of two). */
export const DEFAULT_RUNS: Record<Mode, number> = { smoke: 1, quick: 2, full: 3 };
/** Warm-up runs are skipped only in smoke mode, where the point is to exercise code, not to measure. */
export const WARMUP: Record<Mode, boolean> = { smoke: false, quick: true, full: true };
/** A hard stop for one benchmark process; it is killed and reported as an error beyond this. */
export const BENCH_TIMEOUT_MS: Record<Mode, number> = { smoke: 90_000, quick: 900_000, full: 1_800_000 };

export interface Sizes {
  /** B1: tasks per burn-down run, and the worker concurrencies measured (one worker process). */
  b1Tasks: number;
  b1Concurrency: number[];
  /** B2: sequential idle samples; loaded phase duration. */
  b2IdleSamples: number;
  b2LoadedMs: number;
  b2ProbeTasks: number;
  /** B3: fan-outs and agent work per step. */
  b3FanOuts: number[];
  b3WorkMs: number[];
  /** B4: payload sizes in bytes, samples per size, concurrencies. */
  b4Bytes: number[];
  b4Samples: number;
  b4Concurrency: number[];
  /** B5: in-flight tasks and heartbeat repetitions. */
  b5InFlight: number;
  b5Beats: number;
  /** B6: orphaned tasks, lease (ms), heartbeat (ms). */
  b6Tasks: number;
  b6LeaseMs: number;
  b6HeartbeatMs: number;
  /** B7: seconds per append configuration. */
  b7Ms: number;
  /** B8: in-flight steps of the ramp. */
  b8Ramp: number[];
  /** B9 (and B3's coordinator rows): main jobs per driver; 0 = not run. */
  mainJobRuns: number;
  /** Floor: pgbench duration in seconds; 0 = a fixed 100 transactions per client (smoke). */
  pgbenchSeconds: number;
}

export const SIZES: Record<Mode, Sizes> = {
  smoke: {
    b1Tasks: 200,
    b1Concurrency: [8],
    b2IdleSamples: 10,
    b2LoadedMs: 500,
    b2ProbeTasks: 100,
    b3FanOuts: [1, 8],
    b3WorkMs: [0],
    b4Bytes: [1_024, 102_400],
    b4Samples: 5,
    b4Concurrency: [1],
    b5InFlight: 500,
    b5Beats: 3,
    b6Tasks: 10,
    b6LeaseMs: 1_500,
    b6HeartbeatMs: 500,
    b7Ms: 150,
    b8Ramp: [100, 500],
    mainJobRuns: 0,
    pgbenchSeconds: 0,
  },
  quick: {
    b1Tasks: 4_000,
    b1Concurrency: [8, 24],
    b2IdleSamples: 100,
    b2LoadedMs: 3_000,
    b2ProbeTasks: 2_000,
    b3FanOuts: [1, 8, 32],
    b3WorkMs: [0, 100],
    b4Bytes: [1_024, 10_240, 102_400, 1_048_576],
    b4Samples: 40,
    b4Concurrency: [1],
    b5InFlight: 10_000,
    b5Beats: 10,
    b6Tasks: 100,
    b6LeaseMs: 10_000,
    b6HeartbeatMs: 2_000,
    b7Ms: 1_000,
    b8Ramp: [1_000, 5_000],
    mainJobRuns: 1,
    pgbenchSeconds: 3,
  },
  full: {
    b1Tasks: 20_000,
    b1Concurrency: [8, 24],
    b2IdleSamples: 1_000,
    b2LoadedMs: 5_000,
    b2ProbeTasks: 10_000,
    b3FanOuts: [1, 8, 32],
    b3WorkMs: [0, 100],
    b4Bytes: [1_024, 10_240, 102_400, 1_048_576],
    b4Samples: 200,
    b4Concurrency: [1, 16],
    b5InFlight: 10_000,
    b5Beats: 30,
    // The engine's shipped defaults: lease 30 s, heartbeat 5 s (src/config/options.ts).
    b6Tasks: 1_000,
    b6LeaseMs: 30_000,
    b6HeartbeatMs: 5_000,
    b7Ms: 3_000,
    b8Ramp: [1_000, 10_000, 50_000],
    mainJobRuns: 1,
    pgbenchSeconds: 5,
  },
};

export function parseRunnerArgs(argv: readonly string[]): RunnerArgs {
  let mode: Mode = 'quick';
  let only: BenchId[] | undefined;
  let runs: number | undefined;
  let systems: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=') ? (arg.split('=', 2) as [string, string]) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--smoke':
        mode = 'smoke';
        break;
      case '--full':
        mode = 'full';
        break;
      case '--quick':
        mode = 'quick';
        break;
      case '--only':
        only = parseOnly(value());
        break;
      case '--runs': {
        runs = Number(value());
        if (!Number.isInteger(runs) || runs < 1 || runs > 50)
          throw new Error('--runs must be an integer 1..50');
        break;
      }
      case '--systems':
        systems = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case '--help':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown argument "${arg}"\n${USAGE}`);
    }
  }
  return {
    mode,
    only: only ?? (mode === 'full' ? [...FULL_DEFAULT] : [...BENCH_IDS]),
    runs: runs ?? DEFAULT_RUNS[mode],
    systems,
  };
}

function parseOnly(text: string): BenchId[] {
  const ids = text.split(',').map((s) => s.trim().toLowerCase());
  for (const id of ids) {
    if (!(BENCH_IDS as readonly string[]).includes(id)) throw new Error(`--only: unknown benchmark "${id}"`);
  }
  return ids as BenchId[];
}

export const USAGE = `usage: npm run bench -- [--smoke | --full] [--only b1,b2] [--runs N] [--systems a,b]
  (default)  quick mode, a few minutes
  --smoke    tiny sizes, ~20 s, checks the harness still runs (CI)
  --full     issue 13's goals: b1,b2,b3,b6,b7,b9 at full sizes, warm-up + median of 3 (~20 min)
  --only     a subset of b1..b9
  --runs     measured runs per configuration (default smoke 1, quick 2, full 3)
  --systems  only these subjects, e.g. ideamine-pg,graphile-worker (floors always run)`;
