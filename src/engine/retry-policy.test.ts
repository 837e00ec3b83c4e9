import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../core/circuit-breaker.ts';
import { type ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import { withCircuitBreaker } from '../llm/circuit-breaker-model.ts';
import type { Model } from '../llm/model.ts';
import { decideRetry } from './retry-policy.ts';

const backoff = { baseMs: 1_000, maxMs: 60_000, jitter: 0 };
const err = (errorClass: ErrorClass, extra: { retryAfterMs?: number } = {}) =>
  new IdeaMineError(ErrorCode.modelError, `${errorClass} trouble`, { errorClass, ...extra });

describe('retry policy by error class', () => {
  it('transient: exponential backoff; rate limit: never sooner than Retry-After', () => {
    expect(decideRetry(err('transient'), 1, backoff)).toEqual({
      retry: true,
      delayMs: 1_000,
      strategy: 'backoff',
    });
    expect(decideRetry(err('transient'), 3, backoff).delayMs).toBe(4_000);
    expect(decideRetry(err('rate_limit', { retryAfterMs: 7_000 }), 1, backoff)).toMatchObject({
      retry: true,
      delayMs: 7_000,
    });
  });

  it('schema: the next attempt is a fix agent; tool: the alternate tool; fatal and budget: no retry', () => {
    expect(decideRetry(err('schema'), 1, backoff)).toMatchObject({
      retry: true,
      strategy: 'schema-repair',
      patch: { unstick: { strategy: 'schema-repair' } },
    });
    expect(decideRetry(err('tool'), 1, backoff)).toMatchObject({ retry: true, strategy: 'fallback-tool' });
    expect(decideRetry(err('fatal'), 1, backoff).retry).toBe(false);
    expect(decideRetry(err('budget'), 1, backoff).retry).toBe(false);
  });
});

describe('circuit breaker per provider', () => {
  it('opens after consecutive provider failures, fails fast, then lets one trial through after the cooldown', async () => {
    let now = 0;
    const breaker = new CircuitBreaker('model provider fake', {
      failureThreshold: 3,
      cooldownMs: 1_000,
      now: () => now,
    });
    let calls = 0;
    let failing = true;
    const inner: Model = {
      id: 'fake:model',
      generate: async () => {
        calls++;
        if (failing) throw err('transient');
        return {
          output: { ok: true } as never,
          usage: { inputTokens: 1, outputTokens: 1 },
          costUsd: 0,
          model: 'fake:model',
          latencyMs: 1,
        };
      },
    };
    const model = withCircuitBreaker(inner, breaker);
    const request = { agent: { id: 'a', version: '1' }, system: '', prompt: '', schema: {} as never };
    for (let i = 0; i < 3; i++)
      await expect(model.generate(request)).rejects.toMatchObject({ errorClass: 'transient' });
    expect(breaker.state).toBe('open');
    await expect(model.generate(request)).rejects.toMatchObject({
      details: { reason: 'circuit_open' },
      retryAfterMs: 1_000,
    });
    expect(calls).toBe(3);
    now = 1_000;
    failing = false;
    await expect(model.generate(request)).resolves.toMatchObject({ output: { ok: true } });
    expect(breaker.state).toBe('closed');
    // A schema error is the caller's problem, not the provider's: it does not trip the breaker.
    const schemaFailing = withCircuitBreaker(
      { ...inner, generate: async () => Promise.reject(err('schema')) },
      breaker,
    );
    for (let i = 0; i < 5; i++) await expect(schemaFailing.generate(request)).rejects.toBeDefined();
    expect(breaker.state).toBe('closed');
  });
});
