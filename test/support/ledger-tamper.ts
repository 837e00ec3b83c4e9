import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, sha256 } from '../../src/core/ids.ts';
import { appendLedger } from '../../src/observability/ledger.ts';
import { createHeadSigner, LEDGER_JOURNAL_FILE } from '../../src/observability/ledger-heads.ts';
import { type LedgerKey, loadOrCreateLedgerKey } from '../../src/observability/ledger-key.ts';
import type { Database, Queryable } from '../../src/storage/database.ts';
import { insertRun } from '../../src/storage/run-store.ts';

/**
 * A database writer attacking the ledger: someone with full SQL access (owner or superuser) but not
 * the ledger's private key. They switch the append-only triggers off for the length of one
 * transaction, change rows, and recompute the hash chain with the (public) algorithm, so the chain
 * alone checks out. Test code only: nothing in src/ can do this.
 */

interface Row extends Record<string, unknown> {
  seq: string;
  run_id: string | null;
  type: string;
  data: unknown;
  provenance: unknown;
}

async function asWriter(db: Database, fn: (tx: Queryable) => Promise<void>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.exec(
      'alter table ledger disable trigger ledger_append_only; alter table ledger_heads disable trigger ledger_heads_append_only;',
    );
    await fn(tx);
    await tx.exec(
      'alter table ledger enable trigger ledger_append_only; alter table ledger_heads enable trigger ledger_heads_append_only;',
    );
  });
}

/** The chain's hash formula, which is no secret: anyone can recompute a chain with it. */
export function chainHash(
  prevHash: string | null,
  e: { runId: string | null; type: string; data: unknown; provenance: unknown },
): string {
  return sha256(
    canonicalJson({ prevHash, runId: e.runId, type: e.type, data: e.data, provenance: e.provenance }),
  );
}

/** Rewrites prev_hash and hash of every entry of the run, in seq order, the way appendLedger does. */
async function recomputeChain(tx: Queryable, runId: string): Promise<void> {
  const rows = await tx.query<Row>(
    'select seq, run_id, type, data, provenance from ledger where run_id = $1 order by seq',
    [runId],
  );
  let prevHash: string | null = null;
  for (const r of rows) {
    const hash = chainHash(prevHash, {
      runId: r.run_id,
      type: r.type,
      data: r.data,
      provenance: r.provenance,
    });
    await tx.query('update ledger set prev_hash = $2, hash = $3 where seq = $1', [r.seq, prevHash, hash]);
    prevHash = hash;
  }
}

/** The run's entry seqs, in order. */
export async function entrySeqs(db: Queryable, runId: string): Promise<number[]> {
  const rows = await db.query<{ seq: string }>('select seq from ledger where run_id = $1 order by seq', [
    runId,
  ]);
  return rows.map((r) => Number(r.seq));
}

/** Changes one entry's data, then recomputes the chain so every link and hash matches again. */
export async function editEntryAndRecompute(
  db: Database,
  runId: string,
  seq: number,
  data: Record<string, unknown>,
): Promise<void> {
  await asWriter(db, async (tx) => {
    await tx.query('update ledger set data = $2 where seq = $1', [seq, JSON.stringify(data)]);
    await recomputeChain(tx, runId);
  });
}

/** Swaps the contents (type, data, provenance) of two entries and recomputes the chain. */
export async function swapEntriesAndRecompute(
  db: Database,
  runId: string,
  a: number,
  b: number,
): Promise<void> {
  await asWriter(db, async (tx) => {
    const rows = await tx.query<Row>(
      'select seq, type, data, provenance from ledger where seq = any($1::bigint[])',
      [[a, b]],
    );
    const ra = rows.find((r) => Number(r.seq) === a);
    const rb = rows.find((r) => Number(r.seq) === b);
    if (!ra || !rb) throw new Error(`no entries ${a} and ${b}`);
    for (const [target, from] of [
      [a, rb],
      [b, ra],
    ] as const)
      await tx.query('update ledger set type = $2, data = $3, provenance = $4 where seq = $1', [
        target,
        from.type,
        JSON.stringify(from.data),
        JSON.stringify(from.provenance),
      ]);
    await recomputeChain(tx, runId);
  });
}

/** Deletes the run's last `count` entries (the chain that remains is intact: it is a prefix). */
export async function cutTail(db: Database, runId: string, count: number): Promise<void> {
  await asWriter(db, async (tx) => {
    await tx.query(
      'delete from ledger where seq in (select seq from ledger where run_id = $1 order by seq desc limit $2)',
      [runId, count],
    );
  });
}

/** Deletes every entry of the run. */
export async function deleteAllEntries(db: Database, runId: string): Promise<void> {
  await asWriter(db, async (tx) => {
    await tx.query('delete from ledger where run_id = $1', [runId]);
  });
}

/** Deletes every signed head that names the run (the writer covering their tracks). */
export async function deleteRunHeads(db: Database, runId: string): Promise<void> {
  await asWriter(db, async (tx) => {
    await tx.query(`delete from ledger_heads where statement ->> 'runId' = $1`, [runId]);
  });
}

/** An installation (its own home and key) writing signed runs through the real ledger code. */
export interface SignedLedgerFixture {
  home: string;
  journalFile: string;
  key: LedgerKey;
  /** Appends `phases` × `perPhase` decisions, signing the head after each phase and at the end. */
  signedRun(phases?: number, perPhase?: number): Promise<string>;
  close(): void;
}

export function signedLedgerFixture(db: Database): SignedLedgerFixture {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-ledger-'));
  const journalFile = join(home, LEDGER_JOURNAL_FILE);
  const key = loadOrCreateLedgerKey({ home });
  const signer = createHeadSigner({ db, loadKey: () => key, journalFile });
  return {
    home,
    journalFile,
    key,
    async signedRun(phases = 2, perPhase = 3) {
      const runId = await insertRun(db, { idea: { title: 't' }, plan: {}, planHash: 'h', budgets: {} });
      for (let p = 0; p < phases; p += 1) {
        for (let i = 0; i < perPhase; i += 1)
          await db.transaction((tx) =>
            appendLedger(tx, { runId, type: 'decision', data: { p, i }, provenance: { by: 'test' } }),
          );
        await signer.signHead(runId, `phase p${p} passed`);
      }
      await signer.signHead(runId, 'run succeeded');
      return runId;
    },
    close: () => rmSync(home, { recursive: true, force: true }),
  };
}
