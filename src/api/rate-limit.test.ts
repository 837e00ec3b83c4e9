import { Hono } from 'hono';
import { describe, expect, test } from 'vitest';
import { silentLogger } from '../observability/logger.ts';
import type { ApiEnv } from './auth.ts';
import { errorResponse } from './http-errors.ts';
import { rateLimit } from './rate-limit.ts';

function appWith(now: () => number) {
  const app = new Hono<ApiEnv>();
  app.onError((e, c) => errorResponse(e, c, silentLogger));
  app.use('*', async (c, next) => {
    c.set('principal', { tokenId: c.req.header('x-token') ?? null, scopes: new Set() });
    await next();
  });
  app.use('*', rateLimit({ perMinute: 60, burst: 3, now }));
  app.get('/', (c) => c.text('ok'));
  return app;
}

describe('per-token rate limit', () => {
  test('a burst, then one request per refill interval; tokens do not share buckets', async () => {
    let t = 0;
    const app = appWith(() => t);
    const hit = async (token: string) => (await app.request('/', { headers: { 'x-token': token } })).status;
    expect([await hit('a'), await hit('a'), await hit('a'), await hit('a')]).toEqual([200, 200, 200, 429]);
    expect(await hit('b')).toBe(200);
    t += 999;
    expect(await hit('a')).toBe(429);
    t += 1;
    expect(await hit('a')).toBe(200);
    expect(await hit('a')).toBe(429);
    t += 60_000;
    expect([await hit('a'), await hit('a'), await hit('a'), await hit('a')]).toEqual([200, 200, 200, 429]);
  });

  test('429 carries Retry-After in whole seconds', async () => {
    const app = appWith(() => 0);
    for (let i = 0; i < 3; i++) await app.request('/', { headers: { 'x-token': 'a' } });
    const res = await app.request('/', { headers: { 'x-token': 'a' } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
  });
});
