import { SpanKind, TraceAttr, withSpan } from '../core/trace.ts';
import type { Model, ModelRequest, ModelResponse } from './model.ts';

/**
 * A model decorator that makes every call observable: one span per call (provider, model, agent,
 * token counts, cost — never the prompt or the output) and a callback with the usage, which the
 * composition root points at the Prometheus counters.
 */

/** One finished model call, as the metrics see it. */
export interface ModelCall {
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface ModelObserver {
  /** Called once per successful call; must not throw. */
  called(call: ModelCall): void;
}

/** `openai:gpt-4.1-mini` → `openai`; `offline` → `offline`. */
export function providerOf(modelId: string): string {
  const colon = modelId.indexOf(':');
  return colon < 0 ? modelId : modelId.slice(0, colon);
}

export function instrumentModel(model: Model, observer?: ModelObserver): Model {
  return {
    id: model.id,
    generate<O>(request: ModelRequest<O>): Promise<ModelResponse<O>> {
      return withSpan(
        `model ${model.id}`,
        {
          'gen_ai.provider.name': providerOf(model.id),
          'gen_ai.request.model': model.id,
          [TraceAttr.agent]: `${request.agent.id}@${request.agent.version}`,
        },
        async (span) => {
          const response = await model.generate(request);
          // The answering model may differ from the requested one (a replay, a fallback).
          span.setAttributes({
            'gen_ai.response.model': response.model,
            'gen_ai.usage.input_tokens': response.usage.inputTokens,
            'gen_ai.usage.output_tokens': response.usage.outputTokens,
            [TraceAttr.costUsd]: response.costUsd,
          });
          observer?.called({
            provider: providerOf(response.model),
            model: response.model,
            inputTokens: response.usage.inputTokens,
            outputTokens: response.usage.outputTokens,
            costUsd: response.costUsd,
          });
          return response;
        },
        { kind: SpanKind.CLIENT },
      );
    },
  };
}
