/**
 * B3 — orchestration overhead: a run of 13 phases, each `k` concurrent durable steps of `work` ms.
 *   overhead/phase = (T_run − 13 × work) / 13;  overhead/step = (T_run − 13 × work) / (13 × k)
 *   CPU per step = (this process + Postgres backends) / (13 × k)
 * - ideamine-steps: a runs row, the run lease, and StepRunner.step on the run scope (each step: a
 *   replay lookup, the work, a fenced insert of its result) — src/engine/steps.ts.
 * - dbos: one DBOS workflow whose phases are Promise.all of k DBOS.runStep calls.
 *
 * - ideamine-coordinator (the real 13-phase orchestrator running a main job): measured by
 *   bench/b9-main-job.ts, which writes its B3 rows from the same runs as B9.
 */
import { RunLease } from '../src/engine/run-lease.ts';
import { StepRunner } from '../src/engine/steps.ts';
import type { Database } from '../src/storage/database.ts';
import { type BenchContext, guarded, runBenchmark } from './lib/context.ts';
import { CpuWindow } from './lib/cpu.ts';
import { round, sleep } from './lib/stats.ts';
import { subjectEnv } from './lib/subject-env.ts';
import { openBenchDatabase } from './subjects/ideamine.ts';

const PHASES = 13;

interface OrchestrationSubject {
  readonly name: string;
  /** Step bodies executed so far. */
  stepCalls(): number;
  setup(): Promise<void>;
  /** Runs one whole workflow; resolves when its last step is durable. */
  runWorkflow(phases: number, fanOut: number, workMs: number): Promise<void>;
  /** CPU window covering this subject's database work. */
  cpuWindow(): Promise<CpuWindow>;
  teardown(): Promise<void>;
}

let ideamineStepCalls = 0;

async function work(ms: number): Promise<number> {
  ideamineStepCalls++;
  if (ms > 0) await sleep(ms);
  return ms;
}

class IdeaMineSteps implements OrchestrationSubject {
  readonly name: string;
  readonly #ctx: BenchContext;
  readonly #driver: 'postgres' | 'pglite';
  #db: Database | undefined;
  #cleanup: (() => Promise<void>) | undefined;

  constructor(ctx: BenchContext, driver: 'postgres' | 'pglite') {
    this.#ctx = ctx;
    this.#driver = driver;
    this.name = driver === 'postgres' ? 'ideamine-steps' : 'ideamine-steps-pglite';
  }

  stepCalls(): number {
    return ideamineStepCalls;
  }

  async setup(): Promise<void> {
    const opened = await openBenchDatabase(this.#driver, subjectEnv(this.#ctx), 'steps');
    this.#db = opened.db;
    this.#cleanup = opened.cleanup;
  }

  async runWorkflow(phases: number, fanOut: number, workMs: number): Promise<void> {
    const db = this.#db;
    if (!db) throw new Error('setup() first');
    const [run] = await db.query<{ id: string }>(
      `insert into runs (idea, status) values ('{}', 'running') returning id`,
    );
    if (!run) throw new Error('no run');
    const lease = new RunLease(db, `bench-${process.pid}`);
    const fence = await lease.acquire(run.id);
    if (!fence) throw new Error('lease not acquired');
    const runner = new StepRunner(db, `run:${run.id}`, fence);
    for (let p = 0; p < phases; p++) {
      await Promise.all(
        Array.from({ length: fanOut }, (_, j) => runner.step(`p${p}.t${j}`, () => work(workMs))),
      );
    }
    await lease.release(fence);
  }

  cpuWindow(): Promise<CpuWindow> {
    return this.#driver === 'postgres'
      ? CpuWindow.start({ adminUrl: this.#ctx.adminUrl, datname: this.#ctx.benchDb })
      : CpuWindow.start();
  }

  async teardown(): Promise<void> {
    await this.#cleanup?.();
  }
}

class DbosSteps implements OrchestrationSubject {
  readonly name = 'dbos';
  readonly #ctx: BenchContext;
  readonly #schema: string;
  #calls: { n: number } = { n: 0 };

  constructor(ctx: BenchContext) {
    this.#ctx = ctx;
    this.#schema = `bench_dbos_${subjectEnv(ctx).suffix}`;
  }

  async setup(): Promise<void> {
    const { launchDbos, dbosStepCalls } = await import('./subjects/dbos-runtime.ts');
    this.#calls = dbosStepCalls;
    await launchDbos(this.#ctx.pgUrl, this.#schema);
  }

  stepCalls(): number {
    return this.#calls.n;
  }

  async runWorkflow(phases: number, fanOut: number, workMs: number): Promise<void> {
    const { DBOS } = await import('@dbos-inc/dbos-sdk');
    const { dbosPhasesWorkflow } = await import('./subjects/dbos-runtime.ts');
    const handle = await DBOS.startWorkflow(dbosPhasesWorkflow)(phases, fanOut, workMs);
    await handle.getResult();
  }

  cpuWindow(): Promise<CpuWindow> {
    return CpuWindow.start({ adminUrl: this.#ctx.adminUrl, datname: this.#ctx.benchDb });
  }

  async teardown(): Promise<void> {
    const { shutdownDbos } = await import('./subjects/dbos-runtime.ts');
    const { dropSchema } = await import('./lib/pg-admin.ts');
    await shutdownDbos();
    await dropSchema(this.#ctx.pgUrl, this.#schema);
  }
}

function repeatsFor(ctx: BenchContext, workMs: number): number {
  if (workMs > 0) return 1;
  return ctx.mode === 'smoke' ? 1 : ctx.mode === 'quick' ? 3 : 5;
}

async function measure(
  ctx: BenchContext,
  subject: OrchestrationSubject,
  k: number,
  workMs: number,
  run: number,
): Promise<void> {
  const repeats = repeatsFor(ctx, workMs);
  const window = await subject.cpuWindow();
  const callsBefore = subject.stepCalls();
  const start = performance.now();
  for (let r = 0; r < repeats; r++) await subject.runWorkflow(PHASES, k, workMs);
  const perRunMs = (performance.now() - start) / repeats;
  const cpu = await window.stop();
  const overhead = perRunMs - PHASES * workMs;
  const steps = PHASES * k * repeats;
  const calls = subject.stepCalls() - callsBefore;
  ctx.emit({
    system: subject.name,
    config: `k=${k} work=${workMs}ms`,
    run,
    warmup: run === 0,
    status: 'ok',
    metrics: {
      run_ms: round(perRunMs, 2),
      overhead_per_phase_ms: round(overhead / PHASES, 3),
      overhead_per_step_ms: round(overhead / (PHASES * k), 3),
      cpu_per_step_ms: round((cpu.clientMs + (cpu.pgMs ?? 0)) / steps, 3),
    },
    show: ['overhead_per_phase_ms', 'overhead_per_step_ms'],
    check: {
      expected: steps,
      processed: Math.min(calls, steps),
      duplicates: Math.max(0, calls - steps),
      losses: Math.max(0, steps - calls),
    },
    cpu,
    params: { phases: PHASES, fanOut: k, workMs, workflowsPerRun: repeats },
  });
}

async function runSubject(ctx: BenchContext, subject: OrchestrationSubject): Promise<void> {
  await subject.setup();
  try {
    for (const workMs of ctx.sizes.b3WorkMs) {
      for (const k of ctx.sizes.b3FanOuts) {
        for (const run of ctx.runIndexes()) {
          ctx.log(`${subject.name} k=${k} work=${workMs}ms run ${run}`);
          await measure(ctx, subject, k, workMs, run);
        }
      }
    }
  } finally {
    await subject.teardown();
  }
}

await runBenchmark('b3', async (ctx) => {
  const subjects: Array<() => OrchestrationSubject> = [];
  if (ctx.wants('ideamine-steps')) subjects.push(() => new IdeaMineSteps(ctx, 'postgres'));
  if (ctx.wants('ideamine-steps-pglite')) subjects.push(() => new IdeaMineSteps(ctx, 'pglite'));
  if (ctx.wants('dbos')) subjects.push(() => new DbosSteps(ctx));
  for (const make of subjects) {
    const subject = make();
    await guarded(ctx, { system: subject.name, config: 'all' }, () => runSubject(ctx, subject));
  }
  // The real 13-phase coordinator is measured by b9-main-job.ts, which runs the main job once for
  // both benchmarks and writes B3's `ideamine-coordinator` rows.
});
