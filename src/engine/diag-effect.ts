import { z } from 'zod';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import type { Database } from '../storage/database.ts';
import {
  type EffectOutcome,
  type EffectRecord,
  ensureDiagEffectsTable,
  insertDiagEffect,
} from '../storage/diag-effect-store.ts';
import { createPostgresDatabase } from '../storage/postgres-driver.ts';
import { diagSleep, parseDiagInput, workInSlices } from './diag-work.ts';
import type { TaskContext, TaskHandler } from './worker-pool.ts';

/**
 * `diag.effect`: a diagnostic task with a side effect, for the chaos suite and for operators who want
 * to see at-least-once execution with their own eyes. It works `ms` in slices (progress, checkpoints,
 * resume), then writes one row into `diag_effects` keyed `effect:<task id>`, then returns.
 *
 * The effect goes through its own connection, not the queue's transaction: like a payment or an
 * e-mail, it is outside the task's acknowledgement. A crash between the effect and the ack therefore
 * re-executes it on the next attempt. With `idempotent: true` the write is
 * `insert … on conflict do nothing` on the key, so the re-execution changes nothing; without it each
 * execution leaves a row (which is what the checker counts as an at-least-once re-execution).
 *
 * `pauseAfterEffectMs` widens the window between the effect and the ack so a test can kill the worker
 * inside it; `crashAfterFirstEffect` makes the worker kill itself (SIGKILL) right after the first
 * execution's effect, a deterministic crash point (later executions find the earlier row and go on). Crash injection only runs where faults are enabled
 * (`IDEAMINE_DIAG_FAULTS=1` on the worker): anyone who can enqueue must not be able to kill workers.
 */
export const DIAG_EFFECT = 'diag.effect';

export const diagEffectInput = z
  .object({
    ms: z.number().int().min(0).max(3_600_000).default(100),
    sliceMs: z.number().int().min(1).max(60_000).default(50),
    checkpointEveryMs: z.number().int().min(1).optional(),
    idempotent: z.boolean().default(false),
    pauseAfterEffectMs: z.number().int().min(0).max(600_000).default(0),
    /** SIGKILL the worker right after the effect when no earlier execution had reached it. */
    crashAfterFirstEffect: z.boolean().default(false),
    /** Carried, never echoed: lets tests send large or deeply nested inputs through the engine. */
    payload: z.unknown().optional(),
    /** Merged into the input by the supervisor's unsticker when it takes a stalled attempt away. */
    unstick: z.unknown().optional(),
  })
  .strict();
export type DiagEffectInput = z.infer<typeof diagEffectInput>;

export interface DiagEffectResult {
  attempt: number;
  /** `skipped`: an idempotent effect that an earlier attempt had already applied. */
  effect: 'applied' | 'skipped';
  workedMs: number;
  resumedFromMs: number;
  checkpoints: number;
}

export type { EffectOutcome, EffectRecord } from '../storage/diag-effect-store.ts';
export { ensureDiagEffectsTable } from '../storage/diag-effect-store.ts';

/** Where side effects land: an external system as far as the task is concerned. */
export interface EffectSink {
  record(effect: EffectRecord): Promise<EffectOutcome>;
}

export function effectKey(taskId: string): string {
  return `effect:${taskId}`;
}

/**
 * Effects as rows in `diag_effects` of the given database (see `storage/diag-effect-store.ts`); the
 * table is created on first use.
 */
export function createSqlEffectSink(db: Database): EffectSink {
  let ready: Promise<void> | undefined;
  const ensureTable = () => {
    ready ??= ensureDiagEffectsTable(db).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
  return {
    async record(effect) {
      await ensureTable();
      return insertDiagEffect(db, effect);
    },
  };
}

/**
 * The sink of a worker started without one: the Postgres named by `DATABASE_URL` (and
 * `IDEAMINE_PG_SCHEMA`), through a second small pool opened on first use. On the embedded database
 * there is no second connection, so the task fails with a clear error.
 */
export function createEnvEffectSink(env: NodeJS.ProcessEnv = process.env): EffectSink {
  let sink: Promise<EffectSink> | undefined;
  return {
    async record(effect) {
      const url = env['DATABASE_URL'];
      if (!url)
        throw new IdeaMineError(
          ErrorCode.invalidConfig,
          'diag.effect needs a Postgres for its effects: set DATABASE_URL (the embedded database has no second connection)',
          { errorClass: ErrorClass.fatal },
        );
      const schema = env['IDEAMINE_PG_SCHEMA'];
      sink ??= createPostgresDatabase({
        url,
        ...(schema ? { schema } : {}),
        poolSize: 2,
        applicationName: 'ideamine-diag-effects',
      }).then(createSqlEffectSink, (error: unknown) => {
        sink = undefined;
        throw error;
      });
      return (await sink).record(effect);
    },
  };
}

export interface DiagEffectOptions {
  sink: EffectSink;
  /** Whether crash injection may run in this process. */
  faultsEnabled: boolean;
}

export function createDiagEffect(options: DiagEffectOptions): TaskHandler {
  return async (ctx: TaskContext): Promise<DiagEffectResult> => {
    const input = parseDiagInput(DIAG_EFFECT, diagEffectInput, ctx.task.input);
    if (input.crashAfterFirstEffect && !options.faultsEnabled) throw faultsDisabled();
    const work = await workInSlices(ctx, input);
    // Best effort: no effect after the lease is known lost. It cannot close the race (a worker may
    // lose its lease between this check and the write), which is why effects need idempotency keys.
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const outcome = await options.sink.record({
      taskId: ctx.task.id,
      attempt: ctx.task.attempt,
      idempotencyKey: effectKey(ctx.task.id),
      idempotent: input.idempotent,
    });
    if (input.crashAfterFirstEffect && outcome.earlier === 0) {
      process.kill(process.pid, 'SIGKILL');
      await diagSleep(10_000);
      throw new IdeaMineError(ErrorCode.internal, 'diag.effect: SIGKILL did not stop the process');
    }
    if (input.pauseAfterEffectMs > 0) await diagSleep(input.pauseAfterEffectMs, ctx.signal);
    return { attempt: ctx.task.attempt, effect: outcome.effect, ...work };
  };
}

export function faultsDisabled(): IdeaMineError {
  return new IdeaMineError(
    ErrorCode.invalidInput,
    'fault injection is disabled on this worker (start it with IDEAMINE_DIAG_FAULTS=1)',
    { errorClass: ErrorClass.fatal },
  );
}
