import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApiApp } from '../../src/api/app.ts';
import { openApiPath } from '../../src/api/openapi.ts';
import { ErrorResponseSchema } from '../../src/api/schemas.ts';
import { type ApiFixture, openApiFixture } from '../support/api-fixture.ts';

const runCount = async (fx: ApiFixture) =>
  (await fx.rt.db.query<{ n: number }>('select count(*)::int as n from runs'))[0]?.n;

describe('API limits: body size (413) and per-token rate (429)', () => {
  let fx: ApiFixture;

  beforeAll(async () => {
    fx = await openApiFixture('pglite', { limits: { maxBodyBytes: 2_048, ratePerMinute: 1, rateBurst: 5 } });
  });
  afterAll(async () => {
    await fx?.close();
  });

  test('a body over the limit is a 413 whether or not it declares its length, and stores nothing', async () => {
    const rw = fx.tokens.readWrite;
    const before = await runCount(fx);
    const big = JSON.stringify({ description: 'x'.repeat(3_000) });
    const declared = await fx.api.call('/api/runs', {
      method: 'POST',
      token: rw,
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(declared.status).toBe(413);
    expect(ErrorResponseSchema.parse(await declared.json()).error.code).toBe('PAYLOAD_TOO_LARGE');
    const bytes = new TextEncoder().encode(big);
    const chunked = await fx.api.call('/api/runs', {
      method: 'POST',
      token: fx.tokens['runs:write'],
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 500) controller.enqueue(bytes.slice(i, i + 500));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    // Without a token the answer is 401: the body is never read for an unknown caller.
    expect((await fx.api.call('/api/runs', { method: 'POST', body: big })).status).toBe(401);
    expect(await runCount(fx)).toBe(before);
  });

  test('a token over its rate gets 429 with Retry-After; other tokens are unaffected', async () => {
    const token = fx.tokens['runs:read'];
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await fx.api.call('/api/runs', { token })).status);
    // A burst of 5, refilled at one request a minute: the sixth to eighth are refused.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const limited = await fx.api.call('/api/runs', { token });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(1);
    expect(ErrorResponseSchema.parse(await limited.json()).error.code).toBe('RATE_LIMITED');
    expect((await fx.api.call('/api/runs', { token: fx.tokens.admin })).status).toBe(200);
  });
});

describe('the OpenAPI document matches the routes', () => {
  let fx: ApiFixture;
  beforeAll(async () => {
    fx = await openApiFixture('pglite');
  });
  afterAll(async () => {
    await fx?.close();
  });

  test('every route of the app is in /openapi.json and every documented operation is a route', async () => {
    const app = createApiApp({ runtime: fx.rt });
    const routed = new Set(
      app.routes
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`),
    );
    const doc = (await (await app.request('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)),
    );
    expect([...routed].sort()).toEqual([...documented].sort());
    for (const op of [
      'get /api/runs',
      'post /api/runs',
      'get /api/runs/{id}',
      'get /api/events',
      'post /api/tasks',
    ])
      expect(documented).toContain(op);
    // Every $ref points at a component that exists.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(doc.components.schemas).toHaveProperty(ref as string);
    for (const ops of Object.values(doc.paths))
      for (const op of Object.values(ops)) expect(Object.keys(op.responses).length).toBeGreaterThan(0);
  });
});
