import {
  generateText,
  type LanguageModel,
  type LanguageModelUsage,
  type ModelMessage,
  NoObjectGeneratedError,
  Output,
} from 'ai';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import { classifyModelError } from './ai-sdk-errors.ts';
import type { Model, ModelRequest, ModelResponse, TokenUsage } from './model.ts';
import { scrubSecrets, throwIfAborted } from './model-errors.ts';
import { costOf } from './prices.ts';

/**
 * A `Model` over any Vercel AI SDK language model. Structured output goes through `generateText`
 * with `Output.object` (ai@7's replacement for the deprecated `generateObject`); the SDK validates
 * the answer against the zod schema. On a schema failure we make ONE repair call that shows the model
 * its answer and the validation error; a second failure is an IdeaMineError of class `schema`.
 *
 * The SDK's own retries are off (`maxRetries: 0`): retry policy (backoff, Retry-After, dead letters)
 * belongs to the engine, which decides from the error class. `timeoutMs` bounds the whole call,
 * repair included, so a caller's deadline means what it says.
 */

export const DEFAULT_TIMEOUT_MS = 120_000;
/** Echoing a huge broken answer back would cost more than it saves; the head is enough to fix it. */
const REPAIR_ECHO_CHARS = 8_000;
const VALIDATION_MESSAGE_CHARS = 4_000;

export interface AiSdkModelOptions {
  /** `<provider>:<model>`, e.g. `openai:gpt-4.1-mini`; also the price-table key. */
  id: string;
  languageModel: LanguageModel;
  /** Env var named in auth errors, e.g. `OPENAI_API_KEY`. */
  credentialEnvVar?: string;
  /** Values scrubbed from every error message (API keys). */
  secrets?: readonly string[];
  /** Used when a request has no `timeoutMs`. */
  defaultTimeoutMs?: number;
}

type Attempt<O> =
  | { ok: true; output: O; usage: TokenUsage }
  | { ok: false; text: string; validation: string; usage: TokenUsage };

export function createAiSdkModel(options: AiSdkModelOptions): Model {
  const { id, languageModel } = options;
  const secrets = options.secrets ?? [];
  return {
    id,
    async generate<O>(request: ModelRequest<O>): Promise<ModelResponse<O>> {
      throwIfAborted(request.signal);
      const started = performance.now();
      const timeoutMs = request.timeoutMs ?? options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
      try {
        const { output, usage } = await generateWithRepair(languageModel, id, request, signal, secrets);
        const { costUsd, priced } = costOf(id, usage);
        return {
          output,
          usage,
          costUsd,
          priced,
          model: id,
          latencyMs: Math.round(performance.now() - started),
        };
      } catch (error) {
        throw classifyModelError(error, {
          modelId: id,
          secrets,
          timeoutMs,
          timedOut: timeout.aborted,
          cancelled: request.signal?.aborted ?? false,
          ...(options.credentialEnvVar ? { credentialEnvVar: options.credentialEnvVar } : {}),
        });
      }
    },
  };
}

async function generateWithRepair<O>(
  languageModel: LanguageModel,
  id: string,
  request: ModelRequest<O>,
  signal: AbortSignal,
  secrets: readonly string[],
): Promise<{ output: O; usage: TokenUsage }> {
  const first = await attempt(languageModel, request, signal, [{ role: 'user', content: request.prompt }]);
  if (first.ok) return first;
  const repair: ModelMessage[] = [
    { role: 'user', content: request.prompt },
    { role: 'assistant', content: first.text.slice(0, REPAIR_ECHO_CHARS) },
    {
      role: 'user',
      content:
        `Your previous answer did not match the required JSON schema:\n${first.validation}\n` +
        'Reply again with only the corrected JSON object, nothing else.',
    },
  ];
  const second = await attempt(languageModel, request, signal, repair);
  const usage = addUsage(first.usage, second.usage);
  if (second.ok) return { output: second.output, usage };
  throw new IdeaMineError(
    ErrorCode.modelError,
    `${id}: output for agent ${request.agent.id} failed schema validation twice (after one repair call): ` +
      scrubSecrets(second.validation.replace(/\s+/g, ' '), secrets),
    {
      errorClass: ErrorClass.schema,
      details: { model: id, agent: request.agent.id, reason: 'schema', attempts: 2, usage },
    },
  );
}

/** One provider call. A schema failure is data (so we can repair); anything else throws. */
async function attempt<O>(
  languageModel: LanguageModel,
  request: ModelRequest<O>,
  signal: AbortSignal,
  messages: ModelMessage[],
): Promise<Attempt<O>> {
  try {
    const result = await generateText({
      model: languageModel,
      instructions: request.system,
      messages,
      output: Output.object({ schema: request.schema, name: schemaName(request.agent.id) }),
      maxRetries: 0,
      abortSignal: signal,
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.maxOutputTokens === undefined ? {} : { maxOutputTokens: request.maxOutputTokens }),
    });
    return { ok: true, output: result.output as O, usage: toUsage(result.totalUsage) };
  } catch (error) {
    if (!NoObjectGeneratedError.isInstance(error)) throw error;
    const validation = (error.cause instanceof Error ? error.cause.message : error.message).slice(
      0,
      VALIDATION_MESSAGE_CHARS,
    );
    return { ok: false, text: error.text ?? '', validation, usage: toUsage(error.usage) };
  }
}

/** OpenAI's json_schema name must match ^[a-zA-Z0-9_-]+$ (agent ids contain dots). */
function schemaName(agentId: string): string {
  return agentId.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'output';
}

function toUsage(usage: LanguageModelUsage | undefined): TokenUsage {
  return { inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 };
}

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
}
