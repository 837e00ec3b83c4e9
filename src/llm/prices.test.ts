import { describe, expect, it } from 'vitest';
import { costOf, priceFor } from './prices.ts';

describe('price table', () => {
  it('prices known models per million tokens', () => {
    const { costUsd, priced } = costOf('openai:gpt-4.1-mini', {
      inputTokens: 1_000_000,
      outputTokens: 500_000,
    });
    expect(priced).toBe(true);
    expect(costUsd).toBeCloseTo(0.4 + 0.8, 10);
  });

  it('matches dated model ids by the longest prefix at a dash boundary', () => {
    expect(priceFor('openai:gpt-4.1-mini-2025-04-14')).toEqual(priceFor('openai:gpt-4.1-mini'));
    expect(priceFor('openai:gpt-4.1-2025-04-14')).toEqual(priceFor('openai:gpt-4.1'));
    expect(priceFor('anthropic:claude-sonnet-4-20250514')).toEqual(priceFor('anthropic:claude-sonnet-4'));
    expect(priceFor('openai:gpt-4.1x')).toBeUndefined();
  });

  it('costs unknown models 0 and says they are not priced', () => {
    expect(costOf('openai-compatible:llama3.1:8b', { inputTokens: 10, outputTokens: 10 })).toEqual({
      costUsd: 0,
      priced: false,
    });
  });
});
