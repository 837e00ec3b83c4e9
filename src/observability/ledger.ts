import { createHmac } from 'node:crypto';
import { canonicalJson, sha256 } from '../core/ids.ts';
import type { Database, Queryable } from '../storage/database.ts';

/**
 * The run ledger: append-only (a trigger rejects UPDATE/DELETE) and hash-chained per run, so that any
 * edit made behind the trigger's back (e.g. by a superuser) breaks `verify`. Entries: task, gate,
 * decision, artifact, cost, signature. Writers pass their transaction so an entry commits with the
 * change it records.
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

/** Appends one entry; must run inside a transaction (the advisory lock serialises a run's chain). */
export async function appendLedger(tx: Queryable, entry: LedgerAppend): Promise<LedgerEntry> {
  await tx.query("select pg_advisory_xact_lock($1, hashtext(coalesce($2::text, '')))", [
    LEDGER_LOCK,
    entry.runId,
  ]);
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

export async function verifyLedger(db: Database, runId: string): Promise<LedgerVerification> {
  const entries = await readLedger(db, runId);
  let prev: string | null = null;
  for (const e of entries) {
    if (e.prevHash !== prev)
      return {
        ok: false,
        entries: entries.length,
        brokenAt: { seq: e.seq, reason: 'link to previous entry broken' },
      };
    if (entryHash(prev, e) !== e.hash)
      return {
        ok: false,
        entries: entries.length,
        brokenAt: { seq: e.seq, reason: 'content does not match its hash' },
      };
    prev = e.hash;
  }
  return { ok: true, entries: entries.length };
}

/** An HMAC over the chain head, for a `signature` entry (key from config; never stored). */
export function signChainHead(headHash: string, key: string): string {
  return createHmac('sha256', key).update(headHash).digest('hex');
}
