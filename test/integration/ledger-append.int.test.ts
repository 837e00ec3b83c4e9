import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendLedger,
  appendLedgerEntries,
  type LedgerAppend,
  readLedger,
  verifyLedger,
} from '../../src/observability/ledger.ts';
import type { Database } from '../../src/storage/database.ts';
import { insertRun } from '../../src/storage/run-store.ts';
import { chainHash } from '../support/ledger-tamper.ts';
import { drivers } from '../support/services.ts';
import { countStatements } from '../support/statement-count.ts';

/**
 * Ledger appends are one statement each (a batch too), and still form one chain per run: the head
 * is read under the run's chain lock, inside the statement, so concurrent appenders never fork it.
 */
for (const driver of drivers) {
  describe.skipIf(!driver.available)(`ledger append (${driver.name})`, () => {
    let db: Database;
    const newRun = () => insertRun(db, { idea: { title: 't' }, plan: {}, planHash: 'h', budgets: {} });

    beforeAll(async () => {
      db = await driver.open();
    });
    afterAll(async () => {
      await db?.close();
    });

    it('hashes exactly as the canonical formula does, whatever the content', async () => {
      const runId = await newRun();
      const tricky: LedgerAppend[] = [
        {
          runId,
          type: 'decision',
          data: { z: 1, a: { y: [3, { c: 'é', b: null }], x: '"\\\n' } },
          provenance: {},
        },
        {
          runId,
          type: 'cost',
          data: { emoji: '🦀', tab: '\t', ctrl: '\u0001' },
          provenance: { by: 'ü', n: 1.5 },
        },
        { runId, type: 'task', data: { skipped: undefined, big: 12345678901234 }, provenance: { at: 'x' } },
      ];
      const stored = await db.transaction((tx) => appendLedgerEntries(tx, tricky));
      let prev: string | null = null;
      stored.forEach((entry, i) => {
        expect(entry.prevHash).toBe(prev);
        expect(entry.hash).toBe(chainHash(prev, tricky[i] as LedgerAppend));
        prev = entry.hash;
      });
      expect(await verifyLedger(db, runId)).toEqual({ ok: true, entries: 3 });
    });

    it('a batch is one statement, returned in order, and chains onto what is already there', async () => {
      const runId = await newRun();
      await db.transaction((tx) => appendLedger(tx, { runId, type: 'gate', data: { n: 0 }, provenance: {} }));
      const other = await newRun();
      const batch: LedgerAppend[] = [1, 2, 3, 4].map((n) => ({
        runId: n === 3 ? other : runId,
        type: 'decision',
        data: { n },
        provenance: { by: 'test' },
      }));
      const { result, statements } = await countStatements(db, (counted) =>
        counted.transaction((tx) => appendLedgerEntries(tx, batch)),
      );
      expect(statements).toBe(1);
      expect(result.map((e) => e.data['n'])).toEqual([1, 2, 3, 4]);
      expect((await readLedger(db, runId)).map((e) => e.data['n'])).toEqual([0, 1, 2, 4]);
      expect(await verifyLedger(db, runId)).toEqual({ ok: true, entries: 4 });
      expect(await verifyLedger(db, other)).toEqual({ ok: true, entries: 1 });
      expect(await db.transaction((tx) => appendLedgerEntries(tx, []))).toEqual([]);
    });

    it('concurrent appenders on one run form one intact chain', async () => {
      const runId = await newRun();
      const writers = 4;
      const perWriter = 15;
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < perWriter; i += 1) {
            await db.transaction(async (tx) => {
              // Some work before the append widens the window in which a stale head could be read.
              await tx.query('select count(*) from ledger where run_id = $1', [runId]);
              if (i % 3 === 0)
                await appendLedgerEntries(tx, [
                  { runId, type: 'task', data: { w, i, part: 1 }, provenance: {} },
                  { runId, type: 'task', data: { w, i, part: 2 }, provenance: {} },
                ]);
              else await appendLedger(tx, { runId, type: 'task', data: { w, i }, provenance: {} });
            });
          }
        }),
      );
      const entries = await readLedger(db, runId);
      expect(entries).toHaveLength(writers * (perWriter + Math.ceil(perWriter / 3)));
      expect(new Set(entries.map((e) => e.prevHash)).size).toBe(entries.length);
      expect(await verifyLedger(db, runId)).toEqual({ ok: true, entries: entries.length });
    });
  });
}
