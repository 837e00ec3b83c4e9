import { CircuitBreaker } from '../core/circuit-breaker.ts';
import { ErrorClass, ErrorCode, IdeaMineError, isIdeaMineError } from '../core/errors.ts';
import type { Model, ModelRequest, ModelResponse } from './model.ts';

/**
 * Wraps a model with its provider's circuit breaker. Only failures that say the provider is in
 * trouble count (transient errors and rate limits); a schema or caller error does not open the
 * circuit. An open circuit fails fast with a transient error carrying `retryAfterMs`, so the task is
 * retried after the cooldown instead of hammering a provider that is down.
 */
export function withCircuitBreaker(model: Model, breaker: CircuitBreaker): Model {
  return {
    id: model.id,
    async generate<O>(request: ModelRequest<O>): Promise<ModelResponse<O>> {
      if (!breaker.tryAcquire()) {
        throw new IdeaMineError(
          ErrorCode.modelError,
          `circuit open for ${breaker.name}: too many consecutive failures; retry in ${breaker.retryAfterMs()} ms`,
          {
            errorClass: ErrorClass.transient,
            retryAfterMs: breaker.retryAfterMs(),
            details: { reason: 'circuit_open', circuit: breaker.name },
          },
        );
      }
      try {
        const response = await model.generate(request);
        breaker.success();
        return response;
      } catch (error) {
        const counts =
          isIdeaMineError(error) &&
          (error.errorClass === ErrorClass.transient || error.errorClass === ErrorClass.rateLimit);
        if (counts) breaker.failure();
        else breaker.success();
        throw error;
      }
    },
  };
}

/** One breaker per provider (`openai`, `anthropic`, `openai-compatible`), shared by its models. */
export function providerBreakers(
  options: { failureThreshold?: number; cooldownMs?: number } = {},
): (modelId: string) => CircuitBreaker {
  const breakers = new Map<string, CircuitBreaker>();
  return (modelId) => {
    const provider = modelId.split(':')[0] ?? modelId;
    let breaker = breakers.get(provider);
    if (!breaker) {
      breaker = new CircuitBreaker(`model provider ${provider}`, options);
      breakers.set(provider, breaker);
    }
    return breaker;
  };
}
