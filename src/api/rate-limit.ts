import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from './auth.ts';
import { rateLimited } from './http-errors.ts';

export interface RateLimitOptions {
  /** Sustained requests per minute per token. */
  perMinute: number;
  /** Requests a token may make at once above the sustained rate. */
  burst: number;
  now?: () => number;
}

/**
 * A token bucket per token, in this process's memory: with several `serve` processes behind a
 * balancer each enforces its own share (the limit guards a process's resources, not a quota).
 * Buckets idle long enough to be full again are dropped, so the map stays small.
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<ApiEnv> {
  const now = options.now ?? Date.now;
  const perMs = options.perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  let sweepAt = now() + 60_000;
  return async (c, next) => {
    const key = c.get('principal').tokenId ?? 'trusted';
    const t = now();
    if (t > sweepAt) {
      sweepAt = t + 60_000;
      for (const [k, b] of buckets) if (b.tokens + (t - b.at) * perMs >= options.burst) buckets.delete(k);
    }
    const bucket = buckets.get(key) ?? { tokens: options.burst, at: t };
    bucket.tokens = Math.min(options.burst, bucket.tokens + (t - bucket.at) * perMs);
    bucket.at = t;
    buckets.set(key, bucket);
    if (bucket.tokens < 1) throw rateLimited(Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1_000)));
    bucket.tokens -= 1;
    return next();
  };
}
