import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type HttpBindings, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { sha256 } from '../../src/core/ids.ts';
import { synthesizeFromJsonSchema } from '../../src/llm/synthesize-json.ts';

/**
 * A scriptable stand-in for an OpenAI-style server on 127.0.0.1 (random port), so model tests need no
 * provider and no network. It speaks the two endpoints the AI SDK providers call:
 *   POST /v1/chat/completions  (@ai-sdk/openai-compatible, and openai.chat())
 *   POST /v1/responses         (@ai-sdk/openai's default language model in ai@7)
 * Each request takes the next scripted reply (FIFO), else the default reply, which synthesises a
 * schema-valid answer from the request's JSON schema and prompt (deterministic per prompt).
 */

export interface FakeRequest {
  path: string;
  api: 'chat' | 'responses';
  model: string;
  system: string;
  /** The text of the last user message. */
  prompt: string;
  messages: Array<{ role: string; text: string }>;
  /** The JSON schema sent as the structured-output format, if any. */
  schema: unknown;
  temperature: number | undefined;
  /** Whether an Authorization header arrived (its value is never kept). */
  authorized: boolean;
  body: Record<string, unknown>;
}

export interface FakeUsage {
  inputTokens?: number;
  outputTokens?: number;
}

type JsonLike = Record<string, unknown> | unknown[] | string | number | boolean | null;
/** A fixed answer, or one computed from the request (e.g. echoing the prompt), possibly asynchronously. */
export type FakeAnswer = JsonLike | ((request: FakeRequest) => unknown);

export type FakeReply =
  | { kind: 'synthesize' }
  | { kind: 'json'; value: FakeAnswer; usage?: FakeUsage }
  | { kind: 'text'; text: string; usage?: FakeUsage }
  | { kind: 'error'; status: number; message: string; code?: string; headers?: Record<string, string> }
  | { kind: 'delay'; ms: number; then: FakeReply }
  | { kind: 'oversized'; bytes: number }
  | { kind: 'reset' };

/** Reply builders, so tests read as scripts: `server.enqueue(reply.malformed(), reply.json({...}))`. */
export const reply = {
  synthesize: (): FakeReply => ({ kind: 'synthesize' }),
  json: (value: FakeAnswer, usage?: FakeUsage): FakeReply =>
    usage ? { kind: 'json', value, usage } : { kind: 'json', value },
  /** Content that is not JSON at all (default) or JSON of the wrong shape (pass it). */
  malformed: (text = '{"answer": "cut off'): FakeReply => ({ kind: 'text', text }),
  rateLimited: (retryAfter: string | number): FakeReply => ({
    kind: 'error',
    status: 429,
    message: 'Rate limit reached, slow down',
    code: 'rate_limit_exceeded',
    headers: { 'retry-after': String(retryAfter) },
  }),
  serverError: (status = 500): FakeReply => ({ kind: 'error', status, message: 'The server had an error' }),
  status: (status: number, message: string, code?: string): FakeReply =>
    code ? { kind: 'error', status, message, code } : { kind: 'error', status, message },
  delay: (ms: number, then: FakeReply = { kind: 'synthesize' }): FakeReply => ({ kind: 'delay', ms, then }),
  oversized: (bytes: number): FakeReply => ({ kind: 'oversized', bytes }),
  /** Drops the connection without a response (the client sees ECONNRESET / "socket hang up"). */
  reset: (): FakeReply => ({ kind: 'reset' }),
};

export interface FakeOpenAIServerOptions {
  /** When set, any other model answers 404 `model_not_found`, like the real API. */
  knownModels?: readonly string[];
  defaultReply?: FakeReply;
}

export interface FakeOpenAIServer {
  /** Base URL including `/v1`, ready for `baseURL`/`baseUrl` options. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: FakeRequest[];
  enqueue(...replies: FakeReply[]): void;
  setDefault(reply: FakeReply): void;
  /** Forget scripted replies and received requests. */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeOpenAIServer(
  options: FakeOpenAIServerOptions = {},
): Promise<FakeOpenAIServer> {
  const requests: FakeRequest[] = [];
  const queue: FakeReply[] = [];
  let fallback: FakeReply = options.defaultReply ?? reply.synthesize();
  const closing = new AbortController();
  const app = new Hono<{ Bindings: HttpBindings }>();

  const handle = async (api: FakeRequest['api'], raw: Request, bindings: HttpBindings) => {
    const body = (await raw.json()) as Record<string, unknown>;
    const request = describe(api, new URL(raw.url).pathname, body, raw.headers.has('authorization'));
    requests.push(request);
    if (options.knownModels && !options.knownModels.includes(request.model)) {
      return errorResponse({
        kind: 'error',
        status: 404,
        message: `The model \`${request.model}\` does not exist or you do not have access to it.`,
        code: 'model_not_found',
      });
    }
    return respond(queue.shift() ?? fallback, request, bindings, closing.signal);
  };
  app.post('/v1/chat/completions', (c) => handle('chat', c.req.raw, c.env));
  app.post('/v1/responses', (c) => handle('responses', c.req.raw, c.env));

  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(s as Server),
    ) as Server;
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...replies) => void queue.push(...replies),
    setDefault: (next) => {
      fallback = next;
    },
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: async () => {
      closing.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function respond(
  script: FakeReply,
  request: FakeRequest,
  bindings: HttpBindings,
  closing: AbortSignal,
): Promise<Response> {
  switch (script.kind) {
    case 'delay':
      // Ends early when the server closes, so a test never waits out a long delay.
      await sleep(script.ms, undefined, { signal: closing }).catch(() => {});
      return respond(script.then, request, bindings, closing);
    case 'error':
      return errorResponse(script);
    case 'reset':
      bindings.outgoing.socket?.destroy();
      return new Response(null, { status: 204 });
    case 'text':
      return success(request, script.text, script.usage);
    case 'oversized':
      return success(request, JSON.stringify({ padding: 'x'.repeat(script.bytes) }));
    case 'json': {
      const value = typeof script.value === 'function' ? await script.value(request) : script.value;
      return success(request, JSON.stringify(value), script.usage);
    }
    case 'synthesize': {
      const seed = sha256(`${request.system}\n${request.prompt}`);
      return success(request, JSON.stringify(synthesizeFromJsonSchema(request.schema ?? {}, seed)));
    }
  }
}

function errorResponse(script: Extract<FakeReply, { kind: 'error' }>): Response {
  const body = { error: { message: script.message, type: 'fake_error', code: script.code ?? null } };
  return Response.json(body, { status: script.status, headers: script.headers ?? {} });
}

/** A success envelope in the shape of whichever API was called; usage defaults to chars/4. */
function success(request: FakeRequest, text: string, usage: FakeUsage = {}): Response {
  const inputChars = request.messages.reduce((n, m) => n + m.text.length, request.system.length);
  const inputTokens = usage.inputTokens ?? Math.ceil(inputChars / 4);
  const outputTokens = usage.outputTokens ?? Math.ceil(text.length / 4);
  const created = Math.floor(Date.now() / 1000);
  const id = `fake-${sha256(`${created}${Math.random()}`).slice(0, 12)}`;
  if (request.api === 'chat') {
    return Response.json({
      id,
      object: 'chat.completion',
      created,
      model: request.model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: inputTokens,
        completion_tokens: outputTokens,
        total_tokens: inputTokens + outputTokens,
      },
    });
  }
  return Response.json({
    id,
    object: 'response',
    created_at: created,
    model: request.model,
    status: 'completed',
    output: [
      {
        type: 'message',
        role: 'assistant',
        id: `msg-${id}`,
        status: 'completed',
        content: [{ type: 'output_text', text, annotations: [] }],
      },
    ],
    usage: {
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      total_tokens: inputTokens + outputTokens,
    },
  });
}

function describe(
  api: FakeRequest['api'],
  path: string,
  body: Record<string, unknown>,
  authorized: boolean,
): FakeRequest {
  const items = (api === 'chat' ? body['messages'] : body['input']) as unknown[] | undefined;
  const messages = (items ?? []).map((item) => {
    const m = item as { role?: string; content?: unknown };
    return { role: m.role ?? 'user', text: textOf(m.content) };
  });
  const system = [
    typeof body['instructions'] === 'string' ? body['instructions'] : '',
    ...messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => m.text),
  ]
    .filter(Boolean)
    .join('\n');
  const format =
    api === 'chat' ? body['response_format'] : (body['text'] as { format?: unknown } | undefined)?.format;
  const f = format as { schema?: unknown; json_schema?: { schema?: unknown } } | undefined;
  return {
    path,
    api,
    model: String(body['model'] ?? ''),
    system,
    prompt: messages.filter((m) => m.role === 'user').at(-1)?.text ?? '',
    messages: messages.filter((m) => m.role !== 'system' && m.role !== 'developer'),
    schema: f?.json_schema?.schema ?? f?.schema,
    temperature: typeof body['temperature'] === 'number' ? body['temperature'] : undefined,
    authorized,
    body,
  };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (part as { text?: unknown }).text)
    .filter((t): t is string => typeof t === 'string')
    .join('');
}
