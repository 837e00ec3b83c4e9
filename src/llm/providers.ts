import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createAiSdkModel } from './ai-sdk-model.ts';
import { createLimitedFetch } from './limited-fetch.ts';
import type { Model } from './model.ts';

/**
 * Factories for the three AI SDK providers. Keys are always passed in explicitly: left undefined,
 * the SDK would read `process.env` itself, and only src/config may do that.
 */

/** The env vars src/config reads for models; named here so errors can tell the user what to set. */
export const MODEL_ENV_VARS = {
  model: 'IDEAMINE_MODEL',
  baseUrl: 'IDEAMINE_MODEL_BASE_URL',
  compatibleApiKey: 'IDEAMINE_MODEL_API_KEY',
  openaiApiKey: 'OPENAI_API_KEY',
  anthropicApiKey: 'ANTHROPIC_API_KEY',
} as const;

/** 4 MiB: ~10× the largest structured answer we expect (see limited-fetch.ts). */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface ProviderModelOptions {
  /** The provider's model name, e.g. `gpt-4.1-mini`, `llama3.1:8b`. */
  model: string;
  apiKey?: string;
  /** Overrides the provider's endpoint (a proxy, a gateway, or a fake server in tests). */
  baseUrl?: string;
  /** Default per-call timeout when a request has none. */
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** The underlying fetch (tests, proxies); wrapped with the response size limit. */
  fetch?: typeof globalThis.fetch;
}

function fetchFor(id: string, options: ProviderModelOptions): typeof globalThis.fetch {
  return createLimitedFetch(options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, id, options.fetch);
}

function common(options: ProviderModelOptions, secrets: Array<string | undefined>) {
  return {
    secrets: secrets.filter((s): s is string => typeof s === 'string' && s.length > 0),
    ...(options.timeoutMs === undefined ? {} : { defaultTimeoutMs: options.timeoutMs }),
  };
}

/** OpenAI through its Responses API (`POST {baseUrl}/responses`), the SDK's default in ai@7. */
export function createOpenAIModel(options: ProviderModelOptions & { apiKey: string }): Model {
  const id = `openai:${options.model}`;
  const provider = createOpenAI({
    apiKey: options.apiKey,
    fetch: fetchFor(id, options),
    ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
  });
  return createAiSdkModel({
    id,
    languageModel: provider.languageModel(options.model),
    credentialEnvVar: MODEL_ENV_VARS.openaiApiKey,
    ...common(options, [options.apiKey]),
  });
}

/** Anthropic's Messages API (`POST {baseUrl}/messages`). */
export function createAnthropicModel(options: ProviderModelOptions & { apiKey: string }): Model {
  const id = `anthropic:${options.model}`;
  const provider = createAnthropic({
    apiKey: options.apiKey,
    fetch: fetchFor(id, options),
    ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
  });
  return createAiSdkModel({
    id,
    languageModel: provider.languageModel(options.model),
    credentialEnvVar: MODEL_ENV_VARS.anthropicApiKey,
    ...common(options, [options.apiKey]),
  });
}

export interface OpenAICompatibleModelOptions extends ProviderModelOptions {
  baseUrl: string;
  /**
   * Send `response_format: json_schema` (default true). Ollama, vLLM, LM Studio and OpenRouter accept
   * it, and LM Studio rejects the schemaless `json_object` fallback. Set false for servers that
   * only know `json_object`; the SDK still validates the answer against the schema.
   */
  supportsStructuredOutputs?: boolean;
}

/** Any server speaking OpenAI Chat Completions (`POST {baseUrl}/chat/completions`). */
export function createOpenAICompatibleModel(options: OpenAICompatibleModelOptions): Model {
  const id = `openai-compatible:${options.model}`;
  const provider = createOpenAICompatible({
    name: 'openai-compatible',
    baseURL: options.baseUrl,
    fetch: fetchFor(id, options),
    supportsStructuredOutputs: options.supportsStructuredOutputs ?? true,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  });
  return createAiSdkModel({
    id,
    languageModel: provider.chatModel(options.model),
    credentialEnvVar: MODEL_ENV_VARS.compatibleApiKey,
    ...common(options, [options.apiKey]),
  });
}
