/**
 * B9 — a fresh main job as a user starts it (`ideamine run "<idea>"`, a new IDEAMINE_HOME, the
 * offline model): peak RSS of the ideamine process and start-up before the first phase, on the
 * embedded database (the default) and on Postgres.
 *
 * The same runs are B3's real 13-phase coordinator rows (`ideamine-coordinator`): run wall time
 * and phases per second through the real orchestrator. They are emitted under `b3` from here so
 * that a main job, the slowest thing in the suite, runs once per driver and run, not twice.
 * Statements per agent task are measured by `bench/statements.ts` (it wraps the database in a
 * counter that captures a stack per statement, too heavy to time the same run with).
 */
import { type BenchContext, guarded, runBenchmark } from './lib/context.ts';
import { MAIN_JOB_IDEA, type MainJobResult, runMainJob } from './lib/main-job.ts';
import { dropSchema, uniqueSuffix } from './lib/pg-admin.ts';
import { round } from './lib/stats.ts';

const DRIVERS = ['pglite', 'postgres'] as const;
const TIMEOUT_MS = 600_000;

function emitRun(ctx: BenchContext, driver: string, run: number, r: MainJobResult): void {
  const ok = r.exitCode === 0 && !r.timedOut;
  const note = ok
    ? undefined
    : `exit ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}, last event ${r.finalEvent}: ${r.stderrTail}`.slice(
        0,
        300,
      );
  const params = {
    idea: MAIN_JOB_IDEA,
    model: 'offline',
    driver,
    rssOf: 'the ideamine process (VmHWM), not its children',
  };
  ctx.emit({
    bench: 'b9',
    system: 'ideamine-main-job',
    config: driver,
    run,
    warmup: false,
    status: ok ? 'ok' : 'error',
    ...(note ? { note } : {}),
    metrics: {
      peak_rss_mb: r.peakRssBytes === null ? null : round(r.peakRssBytes / 1_048_576, 1),
      startup_ms: round(r.startupMs, 1),
    },
    show: ['peak_rss_mb', 'startup_ms'],
    params,
  });
  ctx.emit({
    bench: 'b3',
    system: 'ideamine-coordinator',
    config: `main job, ${driver}`,
    run,
    warmup: false,
    status: ok ? 'ok' : 'error',
    ...(note ? { note } : {}),
    metrics: {
      run_wall_ms: round(r.wallMs, 0),
      phases_per_s: round(r.phasesCompleted / (r.wallMs / 1000), 3),
      phases_n: r.phasesCompleted,
      agent_tasks_n: r.agentTasks,
    },
    show: ['run_wall_ms', 'phases_per_s'],
    params,
  });
}

await runBenchmark('b9', async (ctx) => {
  if (ctx.sizes.mainJobRuns === 0) {
    for (const bench of ['b9', 'b3'] as const) {
      ctx.emit({
        bench,
        system: bench === 'b9' ? 'ideamine-main-job' : 'ideamine-coordinator',
        config: 'all',
        run: 1,
        warmup: false,
        status: 'na',
        note: `not run in ${ctx.mode} mode (a main job takes about a minute)`,
        metrics: {},
        show: [],
      });
    }
    return;
  }
  for (let run = 1; run <= ctx.sizes.mainJobRuns; run++) {
    for (const driver of DRIVERS) {
      await guarded(ctx, { system: 'ideamine-main-job', config: driver }, async () => {
        ctx.log(`main job on ${driver}, run ${run}`);
        const schema = `bench_mainjob_${uniqueSuffix()}`;
        try {
          const r = await runMainJob({
            driver,
            ...(driver === 'postgres' ? { pgUrl: ctx.pgUrl, schema } : {}),
            timeoutMs: TIMEOUT_MS,
          });
          emitRun(ctx, driver, run, r);
        } finally {
          if (driver === 'postgres') await dropSchema(ctx.pgUrl, schema).catch(() => {});
        }
      });
    }
  }
});
