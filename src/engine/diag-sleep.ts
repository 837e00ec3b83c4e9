import { z } from 'zod';
import { ErrorClass, ErrorCode, IdeaMineError, invalidInput } from '../core/errors.ts';
import { sha256 } from '../core/ids.ts';
import type { TaskContext } from './worker-pool.ts';

/**
 * `diag.sleep`: a built-in diagnostic task for tests, benchmarks and operators checking a deployment.
 * It "works" for `ms` milliseconds in slices, reports progress, checkpoints its elapsed time, and when
 * re-claimed after a crash resumes from the checkpoint instead of starting over.
 */
export const DIAG_SLEEP = 'diag.sleep';

export const diagSleepInput = z
  .object({
    ms: z.number().int().min(0).max(86_400_000).default(100),
    checkpointEveryMs: z.number().int().min(1).optional(),
    sliceMs: z.number().int().min(1).max(60_000).default(50),
    /** Probability (0..1) that an attempt fails with a transient error; decided by (task, attempt). */
    failureRate: z.number().min(0).max(1).default(0),
  })
  .strict();
export type DiagSleepInput = z.infer<typeof diagSleepInput>;

export interface DiagSleepResult {
  sleptMs: number;
  resumedFromMs: number;
  attempt: number;
  checkpoints: number;
}

export async function diagSleep(ctx: TaskContext): Promise<DiagSleepResult> {
  const parsed = diagSleepInput.safeParse(ctx.task.input ?? {});
  if (!parsed.success)
    throw invalidInput(
      `diag.sleep input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const input = parsed.data;
  const resumedFromMs = readElapsed(ctx.checkpoint?.data);
  let elapsed = resumedFromMs;
  let lastCheckpointAt = elapsed;
  let checkpoints = 0;
  if (shouldFail(ctx.task.id, ctx.task.attempt, input.failureRate)) {
    throw new IdeaMineError(
      ErrorCode.taskFailed,
      `diag.sleep injected failure (attempt ${ctx.task.attempt})`,
      {
        errorClass: ErrorClass.transient,
      },
    );
  }
  while (elapsed < input.ms) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const slice = Math.min(input.sliceMs, input.ms - elapsed);
    await sleep(slice, ctx.signal);
    elapsed += slice;
    ctx.progress({ pct: Math.round((elapsed / Math.max(1, input.ms)) * 100), etaMs: input.ms - elapsed });
    if (
      input.checkpointEveryMs !== undefined &&
      elapsed - lastCheckpointAt >= input.checkpointEveryMs &&
      elapsed < input.ms
    ) {
      await ctx.saveCheckpoint(`elapsed:${elapsed}`, { elapsedMs: elapsed });
      lastCheckpointAt = elapsed;
      checkpoints++;
    }
  }
  return { sleptMs: elapsed - resumedFromMs, resumedFromMs, attempt: ctx.task.attempt, checkpoints };
}

function readElapsed(data: unknown): number {
  if (data && typeof data === 'object' && 'elapsedMs' in data && typeof data.elapsedMs === 'number')
    return data.elapsedMs;
  return 0;
}

function shouldFail(taskId: string, attempt: number, rate: number): boolean {
  if (rate <= 0) return false;
  const roll = Number.parseInt(sha256(`${taskId}:${attempt}`).slice(0, 8), 16) / 0xffffffff;
  return roll < rate;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
