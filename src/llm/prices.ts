/**
 * USD list prices per million tokens, used to turn token usage into `costUsd`. Providers change
 * prices without notice, so this is an estimate for budgets, not an invoice: unknown models cost 0
 * and are reported with `priced: false` so a budget never silently trusts a zero.
 */

export const PRICES_AS_OF = '2025-08-01';

export interface ModelPrice {
  inputPerMillionUsd: number;
  outputPerMillionUsd: number;
}

/** Keyed by `<provider>:<model>` without date suffixes; dated ids match by prefix. */
const PRICES: Readonly<Record<string, ModelPrice>> = {
  'openai:gpt-5': { inputPerMillionUsd: 1.25, outputPerMillionUsd: 10 },
  'openai:gpt-5-mini': { inputPerMillionUsd: 0.25, outputPerMillionUsd: 2 },
  'openai:gpt-5-nano': { inputPerMillionUsd: 0.05, outputPerMillionUsd: 0.4 },
  'openai:gpt-4.1': { inputPerMillionUsd: 2, outputPerMillionUsd: 8 },
  'openai:gpt-4.1-mini': { inputPerMillionUsd: 0.4, outputPerMillionUsd: 1.6 },
  'openai:gpt-4.1-nano': { inputPerMillionUsd: 0.1, outputPerMillionUsd: 0.4 },
  'openai:gpt-4o': { inputPerMillionUsd: 2.5, outputPerMillionUsd: 10 },
  'openai:gpt-4o-mini': { inputPerMillionUsd: 0.15, outputPerMillionUsd: 0.6 },
  'openai:o3': { inputPerMillionUsd: 2, outputPerMillionUsd: 8 },
  'openai:o4-mini': { inputPerMillionUsd: 1.1, outputPerMillionUsd: 4.4 },
  'anthropic:claude-opus-4-1': { inputPerMillionUsd: 15, outputPerMillionUsd: 75 },
  'anthropic:claude-opus-4': { inputPerMillionUsd: 15, outputPerMillionUsd: 75 },
  'anthropic:claude-sonnet-4-5': { inputPerMillionUsd: 3, outputPerMillionUsd: 15 },
  'anthropic:claude-sonnet-4': { inputPerMillionUsd: 3, outputPerMillionUsd: 15 },
  'anthropic:claude-3-7-sonnet': { inputPerMillionUsd: 3, outputPerMillionUsd: 15 },
  'anthropic:claude-haiku-4-5': { inputPerMillionUsd: 1, outputPerMillionUsd: 5 },
  'anthropic:claude-3-5-haiku': { inputPerMillionUsd: 0.8, outputPerMillionUsd: 4 },
};

/**
 * The price of `<provider>:<model>`. A dated id such as `openai:gpt-4.1-mini-2025-04-14` matches the
 * longest listed prefix that ends at a `-` boundary, so `gpt-4.1-mini-…` never falls back to `gpt-4.1`.
 */
export function priceFor(modelId: string): ModelPrice | undefined {
  const exact = PRICES[modelId];
  if (exact) return exact;
  let best: string | undefined;
  for (const key of Object.keys(PRICES)) {
    if (modelId.startsWith(`${key}-`) && (best === undefined || key.length > best.length)) best = key;
  }
  return best === undefined ? undefined : PRICES[best];
}

export interface Cost {
  costUsd: number;
  priced: boolean;
}

export function costOf(modelId: string, usage: { inputTokens: number; outputTokens: number }): Cost {
  const price = priceFor(modelId);
  if (!price) return { costUsd: 0, priced: false };
  const costUsd =
    (usage.inputTokens * price.inputPerMillionUsd + usage.outputTokens * price.outputPerMillionUsd) /
    1_000_000;
  return { costUsd, priced: true };
}
