import type { Queryable } from './database.ts';

/**
 * The ledger's statements. The chain's rules (what is hashed, how a chain is checked) live in
 * observability/ledger.ts; this module only moves rows. Appends go through the `ledger_append`
 * function (migration `*_ledger_append_function.sql`): one statement that takes the run's chain lock, reads the head under it
 * and inserts, so a batch of entries costs one round trip however long it is.
 */

export type LedgerType = 'task' | 'gate' | 'decision' | 'artifact' | 'cost' | 'signature';

export interface LedgerRecord {
  seq: number;
  id: string;
  runId: string | null;
  type: LedgerType;
  data: Record<string, unknown>;
  provenance: Record<string, unknown>;
  createdAt: Date;
  prevHash: string | null;
  hash: string;
}

/** One entry to insert; the hashed text is `before + <previous hash as JSON> + after`. */
export interface LedgerInsert {
  runId: string | null;
  type: LedgerType;
  data: Record<string, unknown>;
  provenance: Record<string, unknown>;
  before: string;
  after: string;
}

interface LedgerRow extends Record<string, unknown> {
  seq: number | string;
  id: string;
  run_id: string | null;
  type: LedgerType;
  data: Record<string, unknown>;
  provenance: Record<string, unknown>;
  created_at: Date;
  prev_hash: string | null;
  hash: string;
}

const COLUMNS = 'seq, id, run_id, type, data, provenance, created_at, prev_hash, hash';

// Arbitrary constant; the ledger_append migration takes the same lock with the same key.
const LEDGER_LOCK = 7_270_002;

function toRecord(row: LedgerRow): LedgerRecord {
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

/** Inserts entries in order, chaining each to its run's head; returns them in the same order. */
export async function insertLedgerEntries(
  tx: Queryable,
  entries: readonly LedgerInsert[],
): Promise<LedgerRecord[]> {
  if (entries.length === 0) return [];
  const rows = await tx.query<LedgerRow>(`select ${COLUMNS} from ledger_append($1::jsonb)`, [
    JSON.stringify(entries),
  ]);
  return rows.map(toRecord);
}

/**
 * Serialises writers of one run's chain until the transaction ends: appends, and the signer that
 * reads the chain head it signs. The key is the uuid's canonical text, as in ledger_append.
 */
export async function lockRunChain(tx: Queryable, runId: string | null): Promise<void> {
  await tx.query("select pg_advisory_xact_lock($1, hashtext(coalesce($2::uuid::text, '')))", [
    LEDGER_LOCK,
    runId,
  ]);
}

export async function readLedgerRecords(
  db: Queryable,
  runId: string,
  type: LedgerType | undefined,
): Promise<LedgerRecord[]> {
  const rows = await db.query<LedgerRow>(
    `select ${COLUMNS} from ledger where run_id = $1 and ($2::text is null or type = $2) order by seq`,
    [runId, type ?? null],
  );
  return rows.map(toRecord);
}

export interface ChainHead {
  seq: number | null;
  hash: string | null;
  entries: number;
}

/** The run's last entry and entry count; call with the run's chain lock held. */
export async function readChainHead(tx: Queryable, runId: string): Promise<ChainHead> {
  const [head] = await tx.query<{ seq: string | null; hash: string | null; entries: number }>(
    `select last.seq, last.hash, (select count(*)::int from ledger where run_id = $1) as entries
       from (select 1) as one
       left join lateral (select seq, hash from ledger where run_id = $1 order by seq desc limit 1) as last on true`,
    [runId],
  );
  return {
    seq: head?.seq == null ? null : Number(head.seq),
    hash: head?.hash ?? null,
    entries: head?.entries ?? 0,
  };
}
