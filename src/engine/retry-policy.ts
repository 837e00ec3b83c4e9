import { ErrorClass, type IdeaMineError } from '../core/errors.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF, retryDelayMs } from '../queue/backoff.ts';

/**
 * What to do after a task attempt failed, decided by the error's class:
 * - transient: retry with exponential backoff and jitter (the task's max attempts, 3–5, bound it);
 * - rate_limit: retry no sooner than the provider's Retry-After;
 * - schema: the model layer already made one repair call; the next attempt runs as a fix agent
 *   (schema-repair: the validation error in the prompt, temperature 0);
 * - tool: the next attempt switches to the alternate allowlisted tool (fallback-tool);
 * - budget, fatal: no retry.
 */

export interface RetryDecision {
  retry: boolean;
  delayMs: number;
  strategy: 'backoff' | 'schema-repair' | 'fallback-tool' | 'none';
  /** Merged into the task input for the next attempt (the agent task reads `unstick`). */
  patch?: Record<string, unknown>;
}

export function decideRetry(
  error: IdeaMineError,
  attempt: number,
  backoff: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): RetryDecision {
  if (!error.retryable || error.errorClass === ErrorClass.fatal || error.errorClass === ErrorClass.budget) {
    return { retry: false, delayMs: 0, strategy: 'none' };
  }
  const delayMs = retryDelayMs(attempt, error, backoff, random);
  switch (error.errorClass) {
    case ErrorClass.schema:
      return {
        retry: true,
        delayMs: Math.min(delayMs, backoff.baseMs),
        strategy: 'schema-repair',
        patch: { unstick: { strategy: 'schema-repair', rung: 0, reason: truncate(error.message, 500) } },
      };
    case ErrorClass.tool:
      return {
        retry: true,
        delayMs,
        strategy: 'fallback-tool',
        patch: { unstick: { strategy: 'fallback-tool', rung: 0, reason: truncate(error.message, 500) } },
      };
    default:
      return { retry: true, delayMs, strategy: 'backoff' };
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
