import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createFallbackLadder } from './fallback-ladder.ts';
import type { Model, ModelRequest, ModelResponse } from './model.ts';

/** A model that reports the temperature it was called with. */
function probe(id: string): Model & { seen: Array<number | undefined> } {
  const seen: Array<number | undefined> = [];
  return {
    id,
    seen,
    async generate<O>(request: ModelRequest<O>): Promise<ModelResponse<O>> {
      seen.push(request.temperature);
      return {
        output: request.schema.parse({ by: id }),
        usage: { inputTokens: 1, outputTokens: 1 },
        costUsd: 0,
        model: id,
        latencyMs: 0,
      };
    },
  };
}

const request = {
  agent: { id: 'a', version: '1' },
  system: '',
  prompt: 'p',
  schema: z.object({ by: z.string() }),
  temperature: 0.9,
};

describe('fallback ladder', () => {
  it('answers on the current rung and climbs only when told to', async () => {
    const big = probe('openai:gpt-4.1');
    const small = probe('openai:gpt-4.1-mini');
    const ladder = createFallbackLadder([big, { model: big, temperature: 0.2 }, small]);
    expect(ladder.rungIds).toEqual(['openai:gpt-4.1', 'openai:gpt-4.1@t=0.2', 'openai:gpt-4.1-mini']);
    expect(ladder.rung).toBe(0);
    expect((await ladder.generate(request)).output).toEqual({ by: 'openai:gpt-4.1' });
    expect(big.seen).toEqual([0.9]);

    expect(ladder.climb()).toBe(true);
    expect(ladder.rungId).toBe('openai:gpt-4.1@t=0.2');
    await ladder.generate(request);
    expect(big.seen).toEqual([0.9, 0.2]);

    expect(ladder.climb()).toBe(true);
    expect(ladder.id).toBe('openai:gpt-4.1-mini');
    expect((await ladder.generate(request)).model).toBe('openai:gpt-4.1-mini');
    expect(ladder.climb()).toBe(false);
    expect(ladder.rung).toBe(2);

    ladder.reset();
    expect(ladder.rungId).toBe('openai:gpt-4.1');
  });

  it('refuses an empty ladder', () => {
    expect(() => createFallbackLadder([])).toThrow(/at least one rung/);
  });
});
