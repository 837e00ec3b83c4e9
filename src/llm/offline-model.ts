import { z } from 'zod';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import { canonicalJson, sha256 } from '../core/ids.ts';
import type { Model, ModelRequest, ModelResponse, TokenUsage } from './model.ts';
import { throwIfAborted } from './model-errors.ts';
import { synthesizeFromJsonSchema } from './synthesize-json.ts';

/**
 * The embedded default model: no network, no keys, same request → same output. It runs the agent's
 * own `offline()` synthesizer when given (idea-specific content); otherwise it builds a schema-valid
 * object from the schema itself, with strings derived from a hash of the prompt.
 */

export const OFFLINE_MODEL_ID = 'offline';

export function createOfflineModel(): Model {
  return {
    id: OFFLINE_MODEL_ID,
    async generate<O>(request: ModelRequest<O>): Promise<ModelResponse<O>> {
      const started = performance.now();
      throwIfAborted(request.signal);
      const raw = request.offline ? runSynthesizer(request, request.offline) : synthesize(request);
      const output = validate(request, raw);
      return {
        output,
        usage: estimateUsage(request, output),
        costUsd: 0,
        priced: true,
        model: OFFLINE_MODEL_ID,
        latencyMs: Math.round(performance.now() - started),
      };
    },
  };
}

/** Rough token count (≈4 characters per token for English): good enough for budget rehearsals. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function estimateUsage(request: ModelRequest<unknown>, output: unknown): TokenUsage {
  return {
    inputTokens: estimateTokens(request.system + request.prompt),
    outputTokens: estimateTokens(canonicalJson(output)),
  };
}

function synthesize<O>(request: ModelRequest<O>): unknown {
  // `io: 'input'` describes what `parse` accepts, which is what we must produce.
  const jsonSchema = z.toJSONSchema(request.schema, { io: 'input', unrepresentable: 'any' });
  const seed = sha256(canonicalJson([request.agent.id, request.system, request.prompt]));
  return synthesizeFromJsonSchema(jsonSchema, seed);
}

/** A throwing synthesizer is a code bug: the same input will throw again, so retrying is pointless. */
function runSynthesizer<O>(request: ModelRequest<O>, offline: () => O): unknown {
  try {
    return offline();
  } catch (error) {
    if (error instanceof IdeaMineError) throw error;
    const agent = `${request.agent.id}@${request.agent.version}`;
    throw new IdeaMineError(
      ErrorCode.modelError,
      `offline model: the offline() synthesizer of ${agent} threw: ${String(error)}`,
      {
        errorClass: ErrorClass.fatal,
        details: { model: OFFLINE_MODEL_ID, agent: request.agent.id },
        cause: error,
      },
    );
  }
}

function validate<O>(request: ModelRequest<O>, raw: unknown): O {
  const result = request.schema.safeParse(raw);
  if (result.success) return result.data;
  const source = request.offline ? 'its offline() synthesizer' : 'schema synthesis';
  // Retrying a deterministic model gives the same answer, so this is not retryable.
  throw new IdeaMineError(
    ErrorCode.modelError,
    `offline model: output for agent ${request.agent.id}@${request.agent.version} from ${source} does not match the schema: ${z.prettifyError(result.error)}` +
      (request.offline
        ? ''
        : ' (give the agent an offline() synthesizer for schemas with refinements or patterns)'),
    {
      errorClass: ErrorClass.schema,
      retryable: false,
      details: { model: OFFLINE_MODEL_ID, agent: request.agent.id, issues: result.error.issues },
    },
  );
}
