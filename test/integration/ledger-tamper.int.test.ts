import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendLedger } from '../../src/observability/ledger.ts';
import { buildLedgerExport, verifyLedgerExport } from '../../src/observability/ledger-export.ts';
import { journalTag, readHeadJournal, readRunHeads } from '../../src/observability/ledger-heads.ts';
import { loadOrCreateLedgerKey } from '../../src/observability/ledger-key.ts';
import { verifySignedLedger } from '../../src/observability/ledger-verify.ts';
import type { Database } from '../../src/storage/database.ts';
import {
  cutTail,
  deleteAllEntries,
  deleteRunHeads,
  editEntryAndRecompute,
  entrySeqs,
  type SignedLedgerFixture,
  signedLedgerFixture,
  swapEntriesAndRecompute,
} from '../support/ledger-tamper.ts';
import { drivers } from '../support/services.ts';

/**
 * The tamper suite, on each storage driver: a writer with full SQL access (triggers switched off)
 * but without the private key edits, cuts, deletes and reorders a signed run's ledger, recomputing
 * the hash chain each time. Every attempt is caught, and the report says what and where. Each case
 * gets its own installation key, so one case's damage never shows in another's verdict.
 */
for (const driver of drivers) {
  describe.skipIf(!driver.available)(`ledger tamper suite (${driver.name})`, () => {
    let db: Database;
    const fixtures: SignedLedgerFixture[] = [];
    const installation = () => {
      const f = signedLedgerFixture(db);
      fixtures.push(f);
      return f;
    };
    const verify = (f: SignedLedgerFixture, runId: string, journal = true) =>
      verifySignedLedger(db, runId, {
        trusted: [f.key.publicKey],
        journal: journal ? { file: f.journalFile, db: journalTag(db) } : undefined,
      });

    beforeAll(async () => {
      db = await driver.open();
    });
    afterAll(async () => {
      for (const f of fixtures) f.close();
      await db?.close();
    });

    it('an untouched run verifies: chain intact, every head signed, nothing unsigned', async () => {
      const f = installation();
      const runId = await f.signedRun();
      const report = await verify(f, runId);
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ ok: true, entries: 6, signedHeads: 3, unsignedTail: 0 });
      expect(report.lastHead?.at).toBe('run succeeded');
      // The journal tags each head with the database it was signed against: another one sees none.
      expect(readHeadJournal(f.journalFile, journalTag(db)).heads).toHaveLength(3);
      expect(readHeadJournal(f.journalFile, journalTag({ location: 'elsewhere' }))).toEqual({
        heads: [],
        unreadable: 0,
      });
    });

    it('an entry appended after the last head is "not signed yet" while the run goes on, an error once it ended', async () => {
      const f = installation();
      const runId = await f.signedRun();
      // No trigger stands in the way of an INSERT, and appendLedger chains it correctly.
      await db.transaction((tx) =>
        appendLedger(tx, { runId, type: 'decision', data: { added: true }, provenance: { by: 'writer' } }),
      );
      expect(await verify(f, runId)).toMatchObject({ ok: true, unsignedTail: 1, signedHeads: 3 });
      await db.query(`update runs set status = 'succeeded' where id = $1`, [runId]);
      const seqs = await entrySeqs(db, runId);
      expect((await verify(f, runId)).problems).toEqual([
        {
          what: 'the run succeeded, yet 1 of its entries are covered by no signed head (added afterwards)',
          where: `entries after seq ${seqs[5]}`,
        },
      ]);
    });

    it('an edited entry is caught even with the chain recomputed', async () => {
      const f = installation();
      const runId = await f.signedRun();
      const seqs = await entrySeqs(db, runId);
      await editEntryAndRecompute(db, runId, seqs[4] as number, { p: 1, i: 1, forged: true });
      const report = await verify(f, runId);
      expect(report.ok).toBe(false);
      // The chain itself checks out (recomputed); the signed heads do not.
      expect(report.problems.some((p) => /link|content does not match/.test(p.what))).toBe(false);
      expect(report.problems[0]?.what).toMatch(
        new RegExp(`entries after seq ${seqs[2]} up to seq ${seqs[5]} differ from what was signed`),
      );
      expect(report.problems[0]?.where).toMatch(/signed head .*#2 \(phase p1 passed/);
    });

    it('a cut tail is caught', async () => {
      const f = installation();
      const runId = await f.signedRun();
      const seqs = await entrySeqs(db, runId);
      await cutTail(db, runId, 2);
      const report = await verify(f, runId);
      expect(report.ok).toBe(false);
      expect(report.problems.map((p) => p.what)).toContain(
        `entry seq ${seqs[5]} is gone: 4 of the 6 signed entries up to it remain (tail cut or entries deleted)`,
      );
    });

    it('a run whose entries are all deleted is caught', async () => {
      const f = installation();
      const runId = await f.signedRun();
      await deleteAllEntries(db, runId);
      const report = await verify(f, runId);
      expect(report.ok).toBe(false);
      expect(report.entries).toBe(0);
      expect(report.problems[0]?.what).toMatch(
        /the run has no entries left; this head signed 3 \(all deleted\)/,
      );
    });

    it('two swapped entries are caught even with the chain recomputed', async () => {
      const f = installation();
      const runId = await f.signedRun();
      const seqs = await entrySeqs(db, runId);
      await swapEntriesAndRecompute(db, runId, seqs[0] as number, seqs[1] as number);
      const report = await verify(f, runId);
      expect(report.ok).toBe(false);
      expect(report.problems[0]?.what).toMatch(
        new RegExp(`entries up to seq ${seqs[2]} differ from what was signed`),
      );
    });

    it('deleting a run with its signed heads shows as a gap in the key chain, or in the local journal', async () => {
      const f = installation();
      const victim = await f.signedRun();
      const later = await f.signedRun(1, 1);
      await deleteAllEntries(db, victim);
      await deleteRunHeads(db, victim);
      // Without the journal: the later run's heads no longer follow on from head #0.
      const noJournal = await verify(f, later, false);
      expect(noJournal.ok).toBe(false);
      expect(noJournal.problems[0]).toMatchObject({ what: 'signed heads 1..3 are missing (deleted)' });

      // The newest run deleted with its heads leaves no gap; the journal still names them.
      const g = installation();
      await g.signedRun();
      const newest = await g.signedRun();
      await deleteAllEntries(db, newest);
      await deleteRunHeads(db, newest);
      const report = await verify(g, newest);
      expect(report.ok).toBe(false);
      expect(report.problems).toHaveLength(3);
      for (const p of report.problems) {
        expect(p.what).toBe('signed head is in the local journal but not in the database (deleted)');
        expect(p.where).toContain(`of run ${newest}, in ${g.journalFile}`);
      }
    });

    it('a head re-written to match a recomputed chain fails its signature; a foreign key is not trusted', async () => {
      const f = installation();
      const runId = await f.signedRun();
      const [head] = await readRunHeads(db, runId);
      await db.transaction(async (tx) => {
        await tx.exec('alter table ledger_heads disable trigger ledger_heads_append_only');
        await tx.query(
          `update ledger_heads set statement = jsonb_set(statement, '{entries}', '2') where key_id = $1 and n = 1`,
          [head?.statement.keyId],
        );
        await tx.exec('alter table ledger_heads enable trigger ledger_heads_append_only');
      });
      const report = await verify(f, runId);
      expect(report.problems.map((p) => p.what)).toContain(
        'signature does not verify: the statement was changed or forged',
      );

      const stranger = loadOrCreateLedgerKey({ home: installation().home });
      const untrusted = await verifySignedLedger(db, runId, { trusted: [stranger.publicKey] });
      expect(untrusted.ok).toBe(false);
      expect(untrusted.problems[0]?.what).toMatch(
        /^signed with key [0-9a-f]{16}, which is not trusted here$/,
      );
    });

    it('an export verifies on its own, and not once an entry in it is changed', async () => {
      const f = installation();
      const runId = await f.signedRun();
      const doc = await buildLedgerExport(db, runId);
      expect(verifyLedgerExport(doc, [f.key.publicKey])).toMatchObject({
        ok: true,
        entries: 6,
        signedHeads: 3,
      });
      const edited = structuredClone(doc);
      (edited.entries[3] as { data: Record<string, unknown> }).data['i'] = 99;
      const report = verifyLedgerExport(edited, [f.key.publicKey]);
      expect(report.ok).toBe(false);
      expect(report.problems[0]).toEqual({
        what: 'content does not match its hash',
        where: `entry seq ${doc.entries[3]?.seq}`,
      });
    });
  });
}
