import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ApiFixture, openApiFixture } from '../support/api-fixture.ts';

/**
 * Random, oversized and deeply nested bodies against every write endpoint, with an admin token (so
 * scope is never the reason): every answer is a 4xx, never a 5xx, and no table gains or loses a row.
 */

const TABLES = ['runs', 'phases', 'tasks', 'events', 'artifacts', 'kmap_frames', 'ledger', 'api_tokens'];
const MAX_BODY = 64 * 1024;

async function rowCounts(fx: ApiFixture): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const t of TABLES)
    counts[t] = (await fx.rt.db.query<{ n: number }>(`select count(*)::int as n from ${t}`))[0]?.n ?? -1;
  return counts;
}

const nested = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);

describe('fuzzing every write endpoint', () => {
  let fx: ApiFixture;
  let runId: string;
  let writes: string[];

  beforeAll(async () => {
    fx = await openApiFixture('pglite', { limits: { maxBodyBytes: MAX_BODY, rateBurst: 100_000 } });
    runId = (
      await fx.rt.orchestrator.createRun(
        { title: 'Fuzz', description: 'A shared todo app for small teams' },
        await fx.rt.loadPhaseConfigs(),
      )
    ).runId;
    const doc = (await (await fx.api.call('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    // Routes with a body schema get the real run (the body must be what fails); the others a random id
    // (their only input is the path, and a valid one would rightly succeed).
    writes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      ops['post']
        ? [
            path
              .replace('{phase}', 'prd')
              .replace('{id}', ops['post'].requestBody ? runId : randomUUID())
              .replace(/\{[A-Za-z]+\}/g, () => randomUUID()),
          ]
        : [],
    );
    expect(writes.length).toBeGreaterThanOrEqual(15);
  });
  afterAll(async () => {
    await fx?.close();
  });

  const post = (path: string, body: string, contentType = 'application/json') =>
    fx.api.call(path, {
      method: 'POST',
      token: fx.tokens.admin,
      headers: { 'content-type': contentType },
      body,
    });

  test('random JSON values and random text: only 4xx, nothing written', async () => {
    const before = await rowCounts(fx);
    const bodies = fc.oneof(
      fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v) ?? 'null'),
      fc.string({ maxLength: 200 }),
      fc
        .record({ description: fc.oneof(fc.integer(), fc.constant(''), fc.array(fc.string())) })
        .map((v) => JSON.stringify(v)),
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writes), bodies, async (path, body) => {
        const res = await post(path, body);
        await res.body?.cancel();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        return res.status >= 400 && res.status < 500;
      }),
      { numRuns: 400, seed: 6_011 },
    );
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect(await rowCounts(fx)).toEqual(before);
  });

  test('oversized and deeply nested bodies: 413 and 400, nothing written', async () => {
    const before = await rowCounts(fx);
    for (const path of writes) {
      const oversized = await post(path, JSON.stringify({ description: 'x'.repeat(MAX_BODY) }));
      expect([path, oversized.status]).toEqual([path, 413]);
      for (const body of [
        nested(20_000, '[', ']'),
        nested(40, '{"a":', '}').replace('{"a":}', '{"a":1}'),
        `{"description":${nested(5_000, '[', ']')}}`,
        nested(30_000, '[', ''),
      ]) {
        const res = await post(path, body);
        expect([path, body.slice(0, 20), res.status]).toEqual([path, body.slice(0, 20), 400]);
      }
      const text = await post(path, 'description=hello', 'application/x-www-form-urlencoded');
      expect(text.status).toBeGreaterThanOrEqual(400);
      expect(text.status).toBeLessThan(500);
    }
    expect(await rowCounts(fx)).toEqual(before);
  });
});
