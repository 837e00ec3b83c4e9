import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import type { Database } from '../storage/database.ts';
import { appendEvents, EVENTS_CHANNEL } from '../storage/event-store.ts';
import type { Fence } from './task-queue.ts';

/** The fenced writes an attempt can make; `model-call` is the paid-model-call checkpoint (reserve/settle). */
export type StaleWrite = 'heartbeat' | 'checkpoint' | 'complete' | 'fail' | 'model-call';

/** The error a write fenced out by a newer attempt gets: final, never retried. */
export function staleAttempt(fence: Fence, write: StaleWrite): IdeaMineError {
  return new IdeaMineError(
    ErrorCode.staleAttempt,
    `stale ${write} rejected: task ${fence.taskId} attempt ${fence.attempt} is no longer the current attempt`,
    { errorClass: ErrorClass.fatal, details: { ...fence, write } },
  );
}

/**
 * Counts a rejected write on the task (`stale_writes`, the crash-test and metrics figure) and records
 * `task.stale_write`, in its own transaction: the rejected write's transaction has rolled back.
 */
export async function recordStaleWrite(db: Database, fence: Fence, write: StaleWrite): Promise<void> {
  await db.transaction(async (tx) => {
    const rows = await tx.query<{ run_id: string | null; attempt: number; phase: string | null }>(
      'update tasks set stale_writes = stale_writes + 1 where id = $1 returning run_id, attempt, (select p.phase_id from phases p where p.id = tasks.phase_id) as phase',
      [fence.taskId],
    );
    const row = rows[0];
    if (!row) return;
    await appendEvents(tx, db.channel(EVENTS_CHANNEL), [
      {
        type: 'task.stale_write',
        runId: row.run_id,
        phase: row.phase,
        taskId: fence.taskId,
        payload: { attempt: fence.attempt, currentAttempt: row.attempt, operation: write },
      },
    ]);
  });
}
