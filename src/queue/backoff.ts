import type { SerializedError } from '../core/errors.ts';

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** 0 = no jitter, 1 = "full jitter" (delay anywhere in [0, d]). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, jitter: 0.5 };

/**
 * Exponential backoff with jitter: base × 2^(attempt−1), capped, then scaled down by up to `jitter`
 * so that tasks failing together do not retry together. A rate-limit error's Retry-After wins when
 * it is longer.
 */
export function retryDelayMs(
  attempt: number,
  error: Pick<SerializedError, 'retryAfterMs'>,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential * (1 - policy.jitter * random());
  return Math.max(Math.round(jittered), error.retryAfterMs ?? 0);
}
