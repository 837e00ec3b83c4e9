import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type FakeOpenAIServer,
  reply,
  startFakeOpenAIServer,
} from '../../test/support/fake-openai-server.ts';
import { IdeaMineError } from '../core/errors.ts';
import type { Model, ModelRequest } from './model.ts';
import { resolveModel } from './model-registry.ts';
import { createOpenAICompatibleModel } from './providers.ts';

const API_KEY = 'sk-test-0123456789abcdef-secret';
const Answer = z.object({ answer: z.string(), score: z.number().int().min(1).max(5) });
type Answer = z.infer<typeof Answer>;

function ask(prompt: string, extra: Partial<ModelRequest<Answer>> = {}): ModelRequest<Answer> {
  return {
    agent: { id: 'test.answerer', version: '1' },
    system: 'Be brief.',
    prompt,
    schema: Answer,
    ...extra,
  };
}

async function rejection(promise: Promise<unknown>): Promise<IdeaMineError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IdeaMineError);
  return error as IdeaMineError;
}

/** Secrets must not leak through the message, the serialised error or its details. */
function expectNoKey(error: IdeaMineError): void {
  const cause = error.cause as { message?: string; responseBody?: string } | undefined;
  const seen = [error.message, JSON.stringify(error.toJSON()), cause?.message, cause?.responseBody].join(' ');
  expect(seen).not.toContain(API_KEY);
}

describe('AI SDK model against the fake OpenAI server', () => {
  let server: FakeOpenAIServer;
  let model: Model;

  beforeAll(async () => {
    server = await startFakeOpenAIServer({ knownModels: ['fake-chat', 'gpt-4.1-mini'] });
    model = createOpenAICompatibleModel({
      model: 'fake-chat',
      baseUrl: server.url,
      apiKey: API_KEY,
      maxResponseBytes: 64 * 1024,
    });
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  it('sends system, prompt, temperature and the JSON schema, and returns usage from the server', async () => {
    server.enqueue(
      reply.json((req) => ({ answer: `echo: ${req.prompt}`, score: 3 }), {
        inputTokens: 120,
        outputTokens: 45,
      }),
    );
    const response = await model.generate(ask('What is 2+2?', { temperature: 0.3 }));
    expect(response.output).toEqual({ answer: 'echo: What is 2+2?', score: 3 });
    expect(response.usage).toEqual({ inputTokens: 120, outputTokens: 45 });
    expect(response).toMatchObject({ model: 'openai-compatible:fake-chat', costUsd: 0, priced: false });
    const [received] = server.requests;
    expect(received).toMatchObject({
      api: 'chat',
      model: 'fake-chat',
      system: 'Be brief.',
      prompt: 'What is 2+2?',
    });
    expect(received?.temperature).toBe(0.3);
    expect(received?.authorized).toBe(true);
    expect(received?.schema).toMatchObject({ type: 'object', required: ['answer', 'score'] });
  });

  it('repairs a malformed answer with one extra call that shows the validation error', async () => {
    server.enqueue(reply.malformed(), reply.json({ answer: 'fixed', score: 2 }));
    const response = await model.generate(ask('q'));
    expect(response.output).toEqual({ answer: 'fixed', score: 2 });
    expect(server.requests).toHaveLength(2);
    const repair = server.requests[1]!;
    expect(repair.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(repair.messages[1]?.text).toBe('{"answer": "cut off');
    expect(repair.prompt).toMatch(/did not match the required JSON schema/);
    // Usage covers both calls.
    expect(response.usage.inputTokens).toBeGreaterThan(server.requests[0]!.prompt.length / 4);
  });

  it('throws errorClass schema when the repaired answer is still invalid', async () => {
    server.enqueue(reply.malformed(), reply.json({ answer: 'x', score: 99 }));
    const error = await rejection(model.generate(ask('q')));
    expect(error).toMatchObject({ code: 'MODEL_ERROR', errorClass: 'schema', retryable: true });
    expect(error.details).toMatchObject({ reason: 'schema', attempts: 2 });
    expect(error.message).toMatch(/score/);
    expect(server.requests).toHaveLength(2);
  });

  it('maps 429 to rate_limit with retryAfterMs from Retry-After (seconds or HTTP date), no SDK retry', async () => {
    server.enqueue(reply.rateLimited(7));
    const seconds = await rejection(model.generate(ask('q')));
    expect(seconds).toMatchObject({ errorClass: 'rate_limit', retryable: true, retryAfterMs: 7000 });
    expect(server.requests).toHaveLength(1);

    server.enqueue(reply.rateLimited(new Date(Date.now() + 60_000).toUTCString()));
    const date = await rejection(model.generate(ask('q')));
    expect(date.retryAfterMs).toBeGreaterThan(55_000);
    expect(date.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('maps 5xx and dropped connections to transient, without retrying inside the SDK', async () => {
    server.enqueue(reply.serverError(500));
    expect(await rejection(model.generate(ask('q')))).toMatchObject({
      errorClass: 'transient',
      details: { status: 500 },
    });
    server.enqueue(reply.serverError(503));
    expect(await rejection(model.generate(ask('q')))).toMatchObject({ errorClass: 'transient' });
    server.enqueue(reply.reset());
    expect(await rejection(model.generate(ask('q')))).toMatchObject({
      errorClass: 'transient',
      details: { reason: 'network' },
    });
    expect(server.requests).toHaveLength(3);
  });

  it('maps a timeout to transient with reason timeout', async () => {
    server.enqueue(reply.delay(5_000));
    const started = Date.now();
    const error = await rejection(model.generate(ask('q', { timeoutMs: 150 })));
    expect(error).toMatchObject({
      errorClass: 'transient',
      retryable: true,
      details: { reason: 'timeout', timeoutMs: 150 },
    });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("maps the caller's abort during a call to CANCELLED", async () => {
    server.enqueue(reply.delay(5_000));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await rejection(model.generate(ask('q', { signal: controller.signal })));
    expect(error).toMatchObject({ code: 'CANCELLED', retryable: false });
  });

  it('refuses an oversized answer with errorClass schema and reason response_too_large', async () => {
    // Decision: an answer over maxResponseBytes is not parsed; a retry or a lower ladder rung may do better.
    server.enqueue(reply.oversized(1024 * 1024));
    const error = await rejection(model.generate(ask('q')));
    expect(error).toMatchObject({
      errorClass: 'schema',
      details: { reason: 'response_too_large', maxBytes: 65536 },
    });
  });

  it('maps an unknown model id to a fatal INVALID_CONFIG error', async () => {
    const unknown = createOpenAICompatibleModel({
      model: 'no-such-model',
      baseUrl: server.url,
      apiKey: API_KEY,
    });
    const error = await rejection(unknown.generate(ask('q')));
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', errorClass: 'fatal', retryable: false });
    expect(error.message).toMatch(/no-such-model/);
  });

  it('maps 401 to fatal auth naming the env var, never the key', async () => {
    server.enqueue(reply.status(401, `Incorrect API key provided: ${API_KEY}`, 'invalid_api_key'));
    const error = await rejection(model.generate(ask('q')));
    expect(error).toMatchObject({
      errorClass: 'fatal',
      retryable: false,
      details: { reason: 'auth', status: 401 },
    });
    expect(error.message).toMatch(/IDEAMINE_MODEL_API_KEY/);
    expectNoKey(error);
  });

  it('maps a context-length error to fatal with reason context_length', async () => {
    server.enqueue(
      reply.status(400, "This model's maximum context length is 128000 tokens.", 'context_length_exceeded'),
    );
    const error = await rejection(model.generate(ask('q')));
    expect(error).toMatchObject({
      code: 'MODEL_ERROR',
      errorClass: 'fatal',
      details: { reason: 'context_length' },
    });
  });

  it('scrubs the key from other provider messages too', async () => {
    server.enqueue(reply.status(400, `bad request for ${API_KEY}`));
    const error = await rejection(model.generate(ask('q')));
    expect(error.errorClass).toBe('fatal');
    expectNoKey(error);
  });

  it('maps an unreachable server to transient', async () => {
    const closed = await startFakeOpenAIServer();
    const url = closed.url;
    await closed.close();
    const gone = createOpenAICompatibleModel({ model: 'fake-chat', baseUrl: url });
    expect(await rejection(gone.generate(ask('q')))).toMatchObject({
      errorClass: 'transient',
      details: { reason: 'network' },
    });
  });

  it('drives the openai provider through the Responses API and prices the call', async () => {
    const openai = resolveModel('openai:gpt-4.1-mini', { baseUrl: server.url, openaiApiKey: API_KEY });
    server.enqueue(
      reply.json({ answer: 'via responses', score: 5 }, { inputTokens: 1_000_000, outputTokens: 0 }),
    );
    const response = await openai.generate(ask('q'));
    expect(server.requests[0]).toMatchObject({
      api: 'responses',
      path: '/v1/responses',
      model: 'gpt-4.1-mini',
    });
    expect(response).toMatchObject({
      output: { answer: 'via responses', score: 5 },
      model: 'openai:gpt-4.1-mini',
      priced: true,
    });
    expect(response.costUsd).toBeCloseTo(0.4, 10);
  });
});
