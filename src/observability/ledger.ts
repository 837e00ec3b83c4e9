import { canonicalJson, sha256 } from '../core/ids.ts';
import type { Queryable } from '../storage/database.ts';

/**
 * The run ledger: append-only (a trigger rejects UPDATE/DELETE) and hash-chained per run. The chain
 * alone catches a careless edit; someone who can write rows can also recompute it, which is why the
 * chain head is signed at every phase boundary and at the run's end (ledger-heads.ts) and verified
 * against those signatures (ledger-verify.ts). Entries: task, gate, decision, artifact, cost,
 * signature. Writers pass their transaction so an entry commits with the change it records.
 */

export type LedgerType = 'task' | 'gate' | 'decision' | 'artifact' | 'cost' | 'signature';

export interface LedgerAppend {
  runId: string | null;
  type: LedgerType;
  data: Record<string, unknown>;
  provenance: Record<string, unknown>;
}

export interface LedgerEntry extends LedgerAppend {
  seq: number;
  id: string;
  createdAt: Date;
  prevHash: string | null;
  hash: string;
}

interface LedgerRow extends Record<string, unknown> {
  seq: number;
  id: string;
  run_id: string | null;
  type: LedgerType;
  data: Record<string, unknown>;
  provenance: Record<string, unknown>;
  created_at: Date;
  prev_hash: string | null;
  hash: string;
}

const LEDGER_LOCK = 7_270_002;

function entryHash(prevHash: string | null, e: LedgerAppend): string {
  return sha256(
    canonicalJson({ prevHash, runId: e.runId, type: e.type, data: e.data, provenance: e.provenance }),
  );
}

function toEntry(row: LedgerRow): LedgerEntry {
  return {
    seq: Number(row.seq),
    id: row.id,
    runId: row.run_id,
    type: row.type,
    data: row.data,
    provenance: row.provenance,
    createdAt: row.created_at,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * Serialises writers of one run's chain until the transaction ends: appends, and the signer that
 * reads the chain head it signs.
 */
export async function lockRunChain(tx: Queryable, runId: string | null): Promise<void> {
  await tx.query("select pg_advisory_xact_lock($1, hashtext(coalesce($2::text, '')))", [LEDGER_LOCK, runId]);
}

/** Appends one entry; must run inside a transaction (the advisory lock serialises a run's chain). */
export async function appendLedger(tx: Queryable, entry: LedgerAppend): Promise<LedgerEntry> {
  await lockRunChain(tx, entry.runId);
  const last = await tx.query<{ hash: string }>(
    'select hash from ledger where run_id is not distinct from $1::uuid order by seq desc limit 1',
    [entry.runId],
  );
  const prevHash = last[0]?.hash ?? null;
  const rows = await tx.query<LedgerRow>(
    `insert into ledger (run_id, type, data, provenance, prev_hash, hash) values ($1, $2, $3, $4, $5, $6)
     returning seq, id, run_id, type, data, provenance, created_at, prev_hash, hash`,
    [
      entry.runId,
      entry.type,
      JSON.stringify(entry.data),
      JSON.stringify(entry.provenance),
      prevHash,
      entryHash(prevHash, entry),
    ],
  );
  return toEntry(rows[0] as LedgerRow);
}

export async function readLedger(
  db: Queryable,
  runId: string,
  options: { type?: LedgerType } = {},
): Promise<LedgerEntry[]> {
  const rows = await db.query<LedgerRow>(
    `select seq, id, run_id, type, data, provenance, created_at, prev_hash, hash from ledger
      where run_id = $1 and ($2::text is null or type = $2) order by seq`,
    [runId, options.type ?? null],
  );
  return rows.map(toEntry);
}

export interface LedgerVerification {
  ok: boolean;
  entries: number;
  /** The first entry whose hash or link does not match, if any. */
  brokenAt?: { seq: number; reason: string };
}

/** Checks the hash chain of a run's ledger (links and content hashes); signatures are ledger-verify.ts's. */
export async function verifyLedger(db: Queryable, runId: string): Promise<LedgerVerification> {
  const entries = await readLedger(db, runId);
  const brokenAt = chainBreak(entries);
  return brokenAt ? { ok: false, entries: entries.length, brokenAt } : { ok: true, entries: entries.length };
}

/** The first entry, in order, whose link to the previous entry or whose own hash does not match. */
export function chainBreak(
  entries: readonly Pick<
    LedgerEntry,
    'seq' | 'runId' | 'type' | 'data' | 'provenance' | 'prevHash' | 'hash'
  >[],
): { seq: number; reason: string } | undefined {
  let prev: string | null = null;
  for (const e of entries) {
    if (e.prevHash !== prev) return { seq: e.seq, reason: 'link to previous entry broken' };
    if (entryHash(prev, e) !== e.hash) return { seq: e.seq, reason: 'content does not match its hash' };
    prev = e.hash;
  }
  return undefined;
}
