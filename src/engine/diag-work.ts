import type { z } from 'zod';
import { invalidInput } from '../core/errors.ts';
import type { TaskContext } from './worker-pool.ts';

/**
 * Shared by the diagnostic handlers (`diag.effect`, `diag.poison`): input parsing with a readable
 * error, abortable sleeps, and "work" done in slices with progress and checkpoints, resumed from the
 * last checkpoint of an earlier attempt (the same pattern as `diag.sleep`).
 */

export function parseDiagInput<T>(type: string, schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success)
    throw invalidInput(
      `${type} input: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** Resolves after `ms`, or at once when `signal` aborts (the caller checks `signal.aborted`). */
export function diagSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface SliceWork {
  ms: number;
  sliceMs: number;
  checkpointEveryMs?: number | undefined;
}

export interface SliceWorkDone {
  /** Work done by this attempt. */
  workedMs: number;
  /** Work an earlier attempt had checkpointed. */
  resumedFromMs: number;
  checkpoints: number;
}

/** Works `ms` in slices from the last checkpoint; throws the abort reason when the lease is lost. */
export async function workInSlices(ctx: TaskContext, work: SliceWork): Promise<SliceWorkDone> {
  const resumedFromMs = checkpointedElapsed(ctx.checkpoint?.data);
  let elapsed = resumedFromMs;
  let lastCheckpointAt = elapsed;
  let checkpoints = 0;
  while (elapsed < work.ms) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const slice = Math.min(work.sliceMs, work.ms - elapsed);
    await diagSleep(slice, ctx.signal);
    if (ctx.signal.aborted) throw ctx.signal.reason;
    elapsed += slice;
    ctx.progress({ pct: Math.round((elapsed / Math.max(1, work.ms)) * 100), etaMs: work.ms - elapsed });
    if (
      work.checkpointEveryMs !== undefined &&
      elapsed - lastCheckpointAt >= work.checkpointEveryMs &&
      elapsed < work.ms
    ) {
      await ctx.saveCheckpoint(`elapsed:${elapsed}`, { elapsedMs: elapsed });
      lastCheckpointAt = elapsed;
      checkpoints++;
    }
  }
  return { workedMs: elapsed - resumedFromMs, resumedFromMs, checkpoints };
}

function checkpointedElapsed(data: unknown): number {
  if (data && typeof data === 'object' && 'elapsedMs' in data && typeof data.elapsedMs === 'number')
    return data.elapsedMs;
  return 0;
}
