import type { Queryable } from './database.ts';

/**
 * The statements behind signed ledger heads (observability/ledger-heads.ts decides what is signed
 * and how; this module only moves rows). `S` is the statement type the caller stores.
 */

// Arbitrary constant next to the ledger's own (7_270_002): serialises one key's chain of heads.
const HEAD_CHAIN_LOCK = 7_270_003;

/** Serialises the signers of one key until the transaction ends; take it after the run's chain lock. */
export async function lockKeyChain(tx: Queryable, keyId: string): Promise<void> {
  await tx.query('select pg_advisory_xact_lock($1, hashtext($2))', [HEAD_CHAIN_LOCK, keyId]);
}

export async function recordPublicKey(tx: Queryable, keyId: string, publicKey: string): Promise<void> {
  await tx.query(
    'insert into ledger_keys (key_id, public_key) values ($1, $2) on conflict (key_id) do nothing',
    [keyId, publicKey],
  );
}

/** The newest statement signed with `keyId`, if any. */
export async function readLastHeadStatement<S>(tx: Queryable, keyId: string): Promise<S | undefined> {
  const [last] = await tx.query<{ statement: S }>(
    'select statement from ledger_heads where key_id = $1 order by n desc limit 1',
    [keyId],
  );
  return last?.statement;
}

export async function insertHead(
  tx: Queryable,
  head: { keyId: string; n: number; statement: unknown; signature: string },
): Promise<void> {
  await tx.query('insert into ledger_heads (key_id, n, statement, signature) values ($1, $2, $3, $4)', [
    head.keyId,
    head.n,
    JSON.stringify(head.statement),
    head.signature,
  ]);
}

export interface StoredHead<S> {
  n: number;
  statement: S;
  signature: string;
}

/** Every head signed with one of `keyIds`, ordered by key and position. */
export async function readHeadsOfKeys<S>(db: Queryable, keyIds: readonly string[]): Promise<StoredHead<S>[]> {
  const rows = await db.query<{ n: string; statement: S; signature: string }>(
    'select n, statement, signature from ledger_heads where key_id = any($1::text[]) order by key_id, n',
    [keyIds],
  );
  return rows.map((r) => ({ n: Number(r.n), statement: r.statement, signature: r.signature }));
}

/** Heads whose statement names `runId`, whatever key signed them. */
export async function readHeadsOfRun<S>(
  db: Queryable,
  runId: string,
): Promise<{ statement: S; signature: string }[]> {
  return db.query<{ statement: S; signature: string }>(
    `select statement, signature from ledger_heads where statement ->> 'runId' = $1 order by key_id, n`,
    [runId],
  );
}

/** The public keys the database records. Information only: a writer could replace them. */
export async function readRecordedKeys(db: Queryable): Promise<{ keyId: string; publicKey: string }[]> {
  return db.query<{ keyId: string; publicKey: string }>(
    'select key_id as "keyId", public_key as "publicKey" from ledger_keys order by created_at',
  );
}
