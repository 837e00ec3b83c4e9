import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import type { Fence } from './task-queue.ts';

export type StaleWrite = 'heartbeat' | 'checkpoint' | 'complete' | 'fail';

/** The error a write fenced out by a newer attempt gets: final, never retried. */
export function staleAttempt(fence: Fence, write: StaleWrite): IdeaMineError {
  return new IdeaMineError(
    ErrorCode.staleAttempt,
    `stale ${write} rejected: task ${fence.taskId} attempt ${fence.attempt} is no longer the current attempt`,
    { errorClass: ErrorClass.fatal, details: { ...fence, write } },
  );
}
