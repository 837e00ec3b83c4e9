import { canonicalJson, sha256 } from '../core/ids.ts';
import type { Queryable } from '../storage/database.ts';
import {
  insertLedgerEntries,
  type LedgerType,
  lockRunChain as lockChain,
  readLedgerRecords,
} from '../storage/ledger-store.ts';

/**
 * The run ledger: append-only (a trigger rejects UPDATE/DELETE) and hash-chained per run. The chain
 * alone catches a careless edit; someone who can write rows can also recompute it, which is why the
 * chain head is signed at every phase boundary and at the run's end (ledger-heads.ts) and verified
 * against those signatures (ledger-verify.ts). Entries: task, gate, decision, artifact, cost,
 * signature. Writers pass their transaction so an entry commits with the change it records.
 */

export type { LedgerType } from '../storage/ledger-store.ts';

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

/**
 * The hashed text of an entry is the canonical JSON of {prevHash, runId, type, data, provenance},
 * whose keys sort as data, prevHash, provenance, runId, type: the text is `before`, then the
 * previous hash as JSON, then `after`. Split this way the database can splice in the head it reads
 * under the chain lock (one statement per append) while the layout is defined only here.
 */
function hashedTextAround(e: LedgerAppend): { before: string; after: string } {
  return {
    before: `{"data":${canonicalJson(e.data)},"prevHash":`,
    after: `,"provenance":${canonicalJson(e.provenance)},"runId":${JSON.stringify(e.runId)},"type":${JSON.stringify(e.type)}}`,
  };
}

export function entryHash(prevHash: string | null, e: LedgerAppend): string {
  const { before, after } = hashedTextAround(e);
  return sha256(`${before}${JSON.stringify(prevHash)}${after}`);
}

/** Serialises writers of one run's chain until the transaction ends (see ledger-store.ts). */
export const lockRunChain = lockChain;

/**
 * Appends entries in order, each chained to its run's head, in ONE statement: the run's chain lock
 * is taken and the head read inside it, so concurrent appenders still form one chain. Run it in the
 * transaction of the change the entries record.
 */
export async function appendLedgerEntries(
  tx: Queryable,
  entries: readonly LedgerAppend[],
): Promise<LedgerEntry[]> {
  return insertLedgerEntries(
    tx,
    entries.map((e) => ({
      runId: e.runId,
      type: e.type,
      data: e.data,
      provenance: e.provenance,
      ...hashedTextAround(e),
    })),
  );
}

/** Appends one entry (one statement). */
export async function appendLedger(tx: Queryable, entry: LedgerAppend): Promise<LedgerEntry> {
  const [stored] = await appendLedgerEntries(tx, [entry]);
  return stored as LedgerEntry;
}

export async function readLedger(
  db: Queryable,
  runId: string,
  options: { type?: LedgerType } = {},
): Promise<LedgerEntry[]> {
  return readLedgerRecords(db, runId, options.type);
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
