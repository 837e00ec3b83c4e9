import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/storage/database.ts';
import { appendEvents, EVENTS_CHANNEL, readEvents } from '../../src/storage/event-store.ts';
import { insertRun } from '../../src/storage/run-store.ts';
import { drivers } from '../support/services.ts';
import { countStatements } from '../support/statement-count.ts';

/** Events of one change are stored and announced (NOTIFY of the last seq, on commit) in one statement. */
for (const driver of drivers) {
  describe.skipIf(!driver.available)(`event append (${driver.name})`, () => {
    let db: Database;

    beforeAll(async () => {
      db = await driver.open();
    }, 300_000);
    afterAll(async () => {
      await db?.close();
    });

    it('one statement stores a batch in order and notifies its last seq on commit only', async () => {
      const runId = await insertRun(db, { idea: { title: 't' }, plan: {}, planHash: 'h', budgets: {} });
      const heard: string[] = [];
      const unlisten = await db.listen(EVENTS_CHANNEL, (payload) => heard.push(payload));
      try {
        const { result, statements } = await countStatements(db, (counted) =>
          counted.transaction(async (tx) => {
            const stored = await appendEvents(tx, counted.channel(EVENTS_CHANNEL), [
              { type: 'a', runId, payload: { n: 1 } },
              { type: 'b', runId },
              { type: 'c', runId, phase: 'p', payload: { n: 3 } },
            ]);
            await new Promise((r) => setTimeout(r, 200));
            expect(heard).toEqual([]); // not before commit
            return stored;
          }),
        );
        expect(statements).toBe(1);
        expect(result.map((e) => e.type)).toEqual(['a', 'b', 'c']);
        const last = result[2]?.seq;
        await expect.poll(() => heard, { timeout: 10_000 }).toEqual([String(last)]);
        const stored = await readEvents(db, { runId });
        expect(stored.map((e) => [e.type, e.payload, e.phase])).toEqual([
          ['a', { n: 1 }, null],
          ['b', {}, null],
          ['c', { n: 3 }, 'p'],
        ]);
        expect(await db.transaction((tx) => appendEvents(tx, db.channel(EVENTS_CHANNEL), []))).toEqual([]);
      } finally {
        await unlisten();
      }
    });
  });
}
