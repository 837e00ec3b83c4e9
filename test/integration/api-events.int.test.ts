import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { EventSchema, type EventView } from '../../src/api/schemas.ts';
import type { Database } from '../../src/storage/database.ts';
import { appendEvents, EVENTS_CHANNEL, readEvents } from '../../src/storage/event-store.ts';
import { openDatabase } from '../../src/storage/open.ts';
import { API_BACKENDS, type ApiFixture, openApiFixture } from '../support/api-fixture.ts';
import { POSTGRES_URL } from '../support/services.ts';
import { openSse, type SseMessage } from '../support/sse-client.ts';

const IDEA = { title: 'Events', description: 'A shared todo app for small teams' };

const events = (messages: SseMessage[]): EventView[] =>
  messages.map((m) => EventSchema.parse(JSON.parse(m.data)));

describe.each(API_BACKENDS)('GET /api/events (SSE) on $name', ({ name, available }) => {
  let fx: ApiFixture;
  /** A second connection writing events: on Postgres another pool, as another process would. */
  let writer: Database;
  let runId: string;
  let otherRunId: string;

  beforeAll(async () => {
    if (!available) return;
    fx = await openApiFixture(name, { limits: { sseHeartbeatMs: 100, ssePollMs: 60_000 } });
    writer =
      name === 'postgres'
        ? await openDatabase({
            driver: 'postgres',
            url: POSTGRES_URL,
            schema: (fx.rt.options.pgSchema as string) ?? '',
            poolSize: 2,
          })
        : fx.rt.db;
    const configs = await fx.rt.loadPhaseConfigs();
    runId = (await fx.rt.orchestrator.createRun(IDEA, configs)).runId;
    otherRunId = (await fx.rt.orchestrator.createRun(IDEA, configs)).runId;
  });
  afterAll(async () => {
    if (writer && writer !== fx?.rt.db) await writer.close();
    await fx?.close();
  });

  const tick = (i: number, run = runId) =>
    writer.transaction((tx) =>
      appendEvents(tx, writer.channel(EVENTS_CHANNEL), [{ type: 'test.tick', runId: run, payload: { i } }]),
    );
  const url = (query: string) => `${fx.api.url}/api/events?${query}`;
  const auth = () => ({ authorization: `Bearer ${fx.tokens['runs:read']}` });

  test.runIf(available)(
    'replays after Last-Event-ID, then goes live, with nothing lost or repeated',
    async () => {
      for (let i = 0; i < 5; i++) await tick(i);
      const stored = await readEvents(fx.rt.db, { runId });
      const resumeAfter = stored[2]?.seq as number;
      // Writes race the connection: some land before the replay, some during, some after.
      const racing = (async () => {
        for (let i = 5; i < 25; i++) await tick(i);
      })();
      const sse = await openSse(url(`runId=${runId}`), { ...auth(), 'last-event-id': String(resumeAfter) });
      expect(sse.status).toBe(200);
      await racing;
      const all = await readEvents(fx.rt.db, { runId, limit: 10_000 });
      const expected = all.filter((e) => e.seq > resumeAfter).map((e) => e.seq);
      await sse.until((m) => m.length >= expected.length);
      await tick(99, otherRunId);
      await tick(25);
      const last = (await readEvents(fx.rt.db, { runId, limit: 10_000 })).at(-1)?.seq as number;
      await sse.until((m) => m.some((x) => x.id === String(last)));
      // A quiet stream carries comment lines so that proxies keep it open.
      await vi.waitFor(() => expect(sse.comments).toContain('keep-alive'), { timeout: 10_000 });
      sse.close();
      const got = events(sse.messages);
      expect(got.map((e) => e.seq)).toEqual([...expected, last]);
      expect(sse.messages.map((m) => m.id)).toEqual(got.map((e) => String(e.seq)));
      expect(got.every((e) => e.runId === runId)).toBe(true);
    },
  );

  test.runIf(available)('a reconnect with the last id seen continues exactly there', async () => {
    const first = await openSse(url(`runId=${runId}&types=test.tick`), auth());
    const ticks = (await readEvents(fx.rt.db, { runId, types: ['test.tick'], limit: 10_000 })).length;
    await first.until((m) => m.length >= ticks);
    first.close();
    const lastSeen = first.messages.at(-1)?.id as string;
    for (let i = 100; i < 105; i++) await tick(i);
    const second = await openSse(url(`runId=${runId}&types=test.tick&lastEventId=${lastSeen}`), auth());
    await second.until((m) => m.length >= 5);
    await new Promise((r) => setTimeout(r, 200));
    second.close();
    const all = (await readEvents(fx.rt.db, { runId, types: ['test.tick'], limit: 10_000 })).map(
      (e) => e.seq,
    );
    const seen = [...events(first.messages), ...events(second.messages)].map((e) => e.seq);
    expect(seen).toEqual(all);
    expect(events(second.messages).map((e) => e.payload['i'])).toEqual([100, 101, 102, 103, 104]);
  });

  test.runIf(available)('a bad Last-Event-ID or run id is a 400 naming it; no token is a 401', async () => {
    const bad = await fetch(url(`runId=${runId}`), { headers: { ...auth(), 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('Last-Event-ID header');
    const badRun = await fetch(url('runId=nope'), { headers: auth() });
    expect(
      ((await badRun.json()) as { error: { issues: Array<{ field: string }> } }).error.issues[0]?.field,
    ).toBe('runId');
    expect((await fetch(url(`runId=${runId}`))).status).toBe(401);
  });
});
