import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import type { Model } from './model.ts';
import { createOfflineModel } from './offline-model.ts';
import {
  createAnthropicModel,
  createOpenAICompatibleModel,
  createOpenAIModel,
  MODEL_ENV_VARS,
  type ProviderModelOptions,
} from './providers.ts';

/**
 * Turns a model spec (`offline`, `openai:gpt-4.1-mini`, `anthropic:claude-sonnet-4-5`,
 * `openai-compatible:llama3.1:8b`) into a `Model`. Settings arrive as an explicit object filled by
 * src/config: this layer never reads `process.env`.
 */

export const MODEL_PROVIDERS = ['offline', 'openai', 'anthropic', 'openai-compatible'] as const;
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

export interface ModelSettings {
  /** IDEAMINE_MODEL_BASE_URL: required for `openai-compatible`, an endpoint override for the others. */
  baseUrl?: string;
  /** OPENAI_API_KEY. */
  openaiApiKey?: string;
  /** ANTHROPIC_API_KEY. */
  anthropicApiKey?: string;
  /** IDEAMINE_MODEL_API_KEY: bearer key for an OpenAI-compatible server (OpenRouter; Ollama needs none). */
  compatibleApiKey?: string;
  /** Per-call timeout when a request has none. */
  timeoutMs?: number;
  maxResponseBytes?: number;
  supportsStructuredOutputs?: boolean;
  /** The fetch the providers use (tests, proxies). */
  fetch?: typeof globalThis.fetch;
}

export interface ModelSpec {
  provider: ModelProvider;
  /** Empty for `offline`. */
  model: string;
}

/** Splits on the first `:` only: Ollama model names contain colons (`llama3.1:8b`). */
export function parseModelSpec(spec: string): ModelSpec {
  const trimmed = spec.trim();
  if (trimmed === 'offline') return { provider: 'offline', model: '' };
  const colon = trimmed.indexOf(':');
  const provider = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const model = colon < 0 ? '' : trimmed.slice(colon + 1).trim();
  if (provider === 'offline') {
    throw configError(`model spec '${spec}': the offline model takes no model name; write 'offline'`, {
      spec,
      field: MODEL_ENV_VARS.model,
    });
  }
  if (!isProvider(provider)) {
    throw configError(
      `unknown model provider '${provider}' in model spec '${spec}'; expected one of: offline, ` +
        `openai:<model>, anthropic:<model>, openai-compatible:<model>`,
      { spec, field: MODEL_ENV_VARS.model },
    );
  }
  if (model === '') {
    throw configError(`model spec '${spec}' names no model; write ${provider}:<model>`, {
      spec,
      field: MODEL_ENV_VARS.model,
    });
  }
  return { provider, model };
}

export function resolveModel(spec: string, settings: ModelSettings = {}): Model {
  const { provider, model } = parseModelSpec(spec);
  const base: ProviderModelOptions = {
    model,
    ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
    ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
    ...(settings.maxResponseBytes === undefined ? {} : { maxResponseBytes: settings.maxResponseBytes }),
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
  };
  switch (provider) {
    case 'offline':
      return createOfflineModel();
    case 'openai':
      return createOpenAIModel({ ...base, apiKey: requireKey(spec, settings.openaiApiKey, 'openaiApiKey') });
    case 'anthropic':
      return createAnthropicModel({
        ...base,
        apiKey: requireKey(spec, settings.anthropicApiKey, 'anthropicApiKey'),
      });
    case 'openai-compatible': {
      if (!settings.baseUrl) {
        throw configError(
          `model '${spec}' needs the server's base URL: set ${MODEL_ENV_VARS.baseUrl} (e.g. http://127.0.0.1:11434/v1 for Ollama)`,
          { spec, field: MODEL_ENV_VARS.baseUrl },
        );
      }
      return createOpenAICompatibleModel({
        ...base,
        baseUrl: settings.baseUrl,
        ...(settings.compatibleApiKey ? { apiKey: settings.compatibleApiKey } : {}),
        ...(settings.supportsStructuredOutputs === undefined
          ? {}
          : { supportsStructuredOutputs: settings.supportsStructuredOutputs }),
      });
    }
  }
}

function requireKey(
  spec: string,
  key: string | undefined,
  which: 'openaiApiKey' | 'anthropicApiKey',
): string {
  if (key) return key;
  const envVar = MODEL_ENV_VARS[which];
  throw configError(`model '${spec}' needs an API key: set ${envVar}`, { spec, field: envVar });
}

function isProvider(value: string): value is ModelProvider {
  return (MODEL_PROVIDERS as readonly string[]).includes(value);
}

function configError(message: string, details: Record<string, unknown>): IdeaMineError {
  return new IdeaMineError(ErrorCode.invalidConfig, message, { errorClass: ErrorClass.fatal, details });
}
