import type { z } from 'zod';

/**
 * The `Model` port: turns (agent, prompt, schema) into a schema-valid object plus usage. Drivers:
 * `offline` (deterministic, no network, the default) and AI SDK providers (OpenAI, Anthropic,
 * OpenAI-compatible). A response always says which model made it.
 */

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ModelRequest<O> {
  agent: { id: string; version: string };
  system: string;
  prompt: string;
  schema: z.ZodType<O>;
  /** The agent's deterministic synthesizer; the offline model calls it, network models ignore it. */
  offline?: () => O;
  temperature?: number;
  maxOutputTokens?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ModelResponse<O> {
  output: O;
  usage: TokenUsage;
  costUsd: number;
  /**
   * False when the model has no entry in the price table (`prices.ts`), so `costUsd` is 0 because
   * the price is unknown, not because the call was free. Absent means priced.
   */
  priced?: boolean;
  /** `<provider>:<model>`, e.g. `offline`, `openai:gpt-4.1-mini`. */
  model: string;
  latencyMs: number;
}

export interface Model {
  /** `<provider>:<model>`. */
  readonly id: string;
  generate<O>(request: ModelRequest<O>): Promise<ModelResponse<O>>;
}
