import { z } from 'zod';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import { faultsDisabled } from './diag-effect.ts';
import { diagSleep, parseDiagInput } from './diag-work.ts';
import type { TaskContext, TaskHandler } from './worker-pool.ts';

/**
 * `diag.poison`: a task that misbehaves on every attempt, to check that the engine contains it.
 *
 * - `throw`: fails (retryable by default) → retried with backoff → dead after max attempts, with the
 *   history of every attempt.
 * - `self-kill`: SIGKILLs its own worker → the lease expires → re-claimed; attempts are counted at
 *   claim, so it is quarantined dead after max attempts however often it kills.
 * - `memory-bomb`: allocates JavaScript heap in 8 MB steps until the process dies (run the worker
 *   under `prlimit --as=…` or `--max-old-space-size`); stops at `bombLimitMb` and fails instead, so
 *   an unlimited worker is not taken down with the whole machine.
 * - `hang`: never resolves and never reports progress for `hangMs`, and ignores abort. The pool
 *   heartbeats every in-flight task, so the lease keeps being renewed: a hang is invisible to the
 *   lease until progress-stall detection exists (see docs/chaos.md).
 *
 * Like crash injection in `diag.effect`, it only runs on workers started with IDEAMINE_DIAG_FAULTS=1.
 */
export const DIAG_POISON = 'diag.poison';

export const diagPoisonInput = z
  .object({
    mode: z.enum(['throw', 'self-kill', 'memory-bomb', 'hang']),
    /** Delay before misbehaving, so the claim and a first heartbeat happen. */
    afterMs: z.number().int().min(0).max(600_000).default(50),
    retryable: z.boolean().default(true),
    bombLimitMb: z.number().int().min(8).max(65_536).default(8_192),
    hangMs: z.number().int().min(0).max(3_600_000).default(600_000),
    /** Merged into the input by the supervisor's unsticker when it takes a stalled attempt away. */
    unstick: z.unknown().optional(),
  })
  .strict();
export type DiagPoisonInput = z.infer<typeof diagPoisonInput>;

const BOMB_STEP_ELEMENTS = 1_000_000; // ~8 MB of heap per step (an array of a million small integers)

export function createDiagPoison(options: { faultsEnabled: boolean }): TaskHandler {
  return async (ctx: TaskContext): Promise<unknown> => {
    const input = parseDiagInput(DIAG_POISON, diagPoisonInput, ctx.task.input);
    if (!options.faultsEnabled) throw faultsDisabled();
    if (input.mode !== 'hang') await diagSleep(input.afterMs, ctx.signal);
    switch (input.mode) {
      case 'throw':
        throw new IdeaMineError(
          ErrorCode.taskFailed,
          `diag.poison: injected failure (attempt ${ctx.task.attempt})`,
          { errorClass: input.retryable ? ErrorClass.transient : ErrorClass.fatal },
        );
      case 'self-kill':
        process.kill(process.pid, 'SIGKILL');
        await diagSleep(10_000);
        throw new IdeaMineError(ErrorCode.internal, 'diag.poison: SIGKILL did not stop the process');
      case 'memory-bomb':
        return memoryBomb(ctx, input.bombLimitMb);
      case 'hang':
        // Deliberately ignores ctx.signal: a hung native call or a busy dependency does not listen.
        await diagSleep(input.hangMs);
        return { attempt: ctx.task.attempt, hungMs: input.hangMs };
    }
  };
}

async function memoryBomb(ctx: TaskContext, limitMb: number): Promise<never> {
  const hoard: number[][] = [];
  let mb = 0;
  while (mb < limitMb) {
    hoard.push(new Array<number>(BOMB_STEP_ELEMENTS).fill(hoard.length));
    mb += 8;
    if (hoard.length % 16 === 0) await diagSleep(0); // let heartbeats through while it grows
  }
  const survived = hoard.length * 8;
  hoard.length = 0;
  throw new IdeaMineError(
    ErrorCode.taskFailed,
    `diag.poison: memory bomb reached ${survived} MB without being stopped (attempt ${ctx.task.attempt}); run the worker under a memory limit`,
    { errorClass: ErrorClass.fatal },
  );
}
