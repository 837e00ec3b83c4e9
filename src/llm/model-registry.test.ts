import { describe, expect, it } from 'vitest';
import { IdeaMineError } from '../core/errors.ts';
import { parseModelSpec, resolveModel } from './model-registry.ts';

function configErrorOf(fn: () => unknown): IdeaMineError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(IdeaMineError);
    expect((error as IdeaMineError).code).toBe('INVALID_CONFIG');
    expect((error as IdeaMineError).errorClass).toBe('fatal');
    return error as IdeaMineError;
  }
  throw new Error('expected a config error');
}

describe('resolveModel', () => {
  it('resolves offline and the three providers to models with <provider>:<model> ids', () => {
    expect(resolveModel('offline').id).toBe('offline');
    expect(resolveModel('openai:gpt-4.1-mini', { openaiApiKey: 'k-1234' }).id).toBe('openai:gpt-4.1-mini');
    expect(resolveModel('anthropic:claude-sonnet-4-5', { anthropicApiKey: 'k-1234' }).id).toBe(
      'anthropic:claude-sonnet-4-5',
    );
    const ollama = resolveModel('openai-compatible:llama3.1:8b', { baseUrl: 'http://127.0.0.1:11434/v1' });
    expect(ollama.id).toBe('openai-compatible:llama3.1:8b');
  });

  it('splits the spec on the first colon only', () => {
    expect(parseModelSpec(' openai-compatible:qwen2.5:7b-instruct ')).toEqual({
      provider: 'openai-compatible',
      model: 'qwen2.5:7b-instruct',
    });
  });

  it('names the env var to set when a key or base URL is missing', () => {
    expect(configErrorOf(() => resolveModel('openai:gpt-4.1')).message).toMatch(/OPENAI_API_KEY/);
    expect(configErrorOf(() => resolveModel('anthropic:claude-sonnet-4-5')).message).toMatch(
      /ANTHROPIC_API_KEY/,
    );
    expect(configErrorOf(() => resolveModel('openai-compatible:llama3')).message).toMatch(
      /IDEAMINE_MODEL_BASE_URL/,
    );
  });

  it('rejects unknown providers and specs without a model', () => {
    expect(configErrorOf(() => resolveModel('gemini:pro')).message).toMatch(
      /unknown model provider 'gemini'/,
    );
    expect(configErrorOf(() => resolveModel('gpt-4.1')).message).toMatch(/unknown model provider/);
    expect(configErrorOf(() => resolveModel('openai:')).message).toMatch(/names no model/);
    expect(configErrorOf(() => resolveModel('offline:x')).message).toMatch(/takes no model name/);
  });
});
