import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { canonicalJson, sha256 } from '../core/ids.ts';
import type { Database, Queryable } from '../storage/database.ts';
import {
  insertHead,
  lockKeyChain,
  readHeadsOfKeys,
  readHeadsOfRun,
  readLastHeadStatement,
  readRecordedKeys,
  recordPublicKey,
} from '../storage/ledger-head-store.ts';
import { readChainHead } from '../storage/ledger-store.ts';
import { lockRunChain } from './ledger.ts';
import type { LedgerKey } from './ledger-key.ts';

/**
 * Signed checkpoints of a run's chain head. A statement says "run R's chain had `entries` entries,
 * the last one at `seq` with `hash`, at this boundary" and links to the previous statement signed
 * with the same key (`n`, `prev`), so the heads of one installation key form one unbroken chain
 * across all runs. Heads are kept in three places a database writer does not all control: the
 * `ledger_heads` table, a journal file in the IdeaMine home (one JSON line per head, appended by the
 * signing process) and every `ledger export`.
 */

/** The journal file in the IdeaMine home. */
export const LEDGER_JOURNAL_FILE = 'ledger-heads.jsonl';

export const HeadStatementSchema = z
  .object({
    v: z.literal(1),
    keyId: z.string(),
    /** Position in the key's chain: 1, 2, 3, ... */
    n: z.number().int().positive(),
    /** sha256 of the canonical JSON of statement n−1 of this key; null for n = 1. */
    prev: z.string().nullable(),
    runId: z.string(),
    /** The run's last entry at signing time (null while the run has none). */
    seq: z.number().int().nullable(),
    hash: z.string().nullable(),
    entries: z.number().int().nonnegative(),
    /** The boundary: `phase <name> <outcome>` or `run <outcome>`. */
    at: z.string(),
    signedAt: z.string(),
  })
  .strict();
export type HeadStatement = z.infer<typeof HeadStatementSchema>;

export const SignedHeadSchema = z.object({ statement: HeadStatementSchema, signature: z.string() }).strict();
export type SignedHead = z.infer<typeof SignedHeadSchema>;

/** The text a signature covers, and the hash the next statement's `prev` names. */
export function statementText(statement: HeadStatement): string {
  return canonicalJson(statement);
}

export function statementHash(statement: HeadStatement): string {
  return sha256(statementText(statement));
}

/** A short name for messages: `head <keyId>#<n> (<at>, seq <seq>)`. */
export function describeHead(s: HeadStatement): string {
  return `signed head ${s.keyId}#${s.n} (${s.at}, seq ${s.seq ?? 'none'}, ${s.entries} entries)`;
}

/**
 * Signs the current head of a run's chain and stores it, in one transaction: the run's chain lock
 * is held while its head is read (no append can slip in between), then the key's chain lock while
 * the previous statement is read and the new one inserted. Lock order is always run, then key.
 */
export async function signRunHead(
  db: Database,
  key: LedgerKey,
  runId: string,
  at: string,
): Promise<SignedHead> {
  return db.transaction(async (tx) => {
    await lockRunChain(tx, runId);
    const head = await readChainHead(tx, runId);
    const { keyId, publicKey } = key.publicKey;
    await lockKeyChain(tx, keyId);
    await recordPublicKey(tx, keyId, publicKey);
    const last = await readLastHeadStatement<HeadStatement>(tx, keyId);
    const statement: HeadStatement = {
      v: 1,
      keyId,
      n: (last?.n ?? 0) + 1,
      prev: last ? statementHash(last) : null,
      runId,
      seq: head.seq,
      hash: head.hash,
      entries: head.entries,
      at,
      signedAt: new Date().toISOString(),
    };
    const signed: SignedHead = { statement, signature: key.sign(statementText(statement)) };
    await insertHead(tx, { keyId, n: statement.n, statement, signature: signed.signature });
    return signed;
  });
}

/** Every stored head signed with one of `keyIds`, in chain order. */
export async function readKeyChains(db: Queryable, keyIds: readonly string[]): Promise<SignedHead[]> {
  const rows = await readHeadsOfKeys<HeadStatement>(db, keyIds);
  // The row's own `n` is what orders and keys the chain: a statement claiming another n is a forgery.
  return rows.map((r) => ({ statement: { ...r.statement, n: r.n }, signature: r.signature }));
}

/** Heads whose statement names `runId`, whatever key signed them. */
export async function readRunHeads(db: Queryable, runId: string): Promise<SignedHead[]> {
  return readHeadsOfRun<HeadStatement>(db, runId);
}

export { readRecordedKeys };

const JournalLineSchema = SignedHeadSchema.extend({ db: z.string() }).strict();

/**
 * Names the database a journal line was signed against (a hash of its location: data dir, or URL and
 * schema), so one home used with several databases never reports one database's heads as missing
 * from another.
 */
export function journalTag(db: Pick<Database, 'location'>): string {
  return sha256(db.location).slice(0, 16);
}

/** Appends one head to the journal file (made 0600, in a directory made 0700). */
export function appendHeadJournal(file: string, db: string, head: SignedHead): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // One short line with O_APPEND: concurrent signers on one machine never interleave inside a line.
  appendFileSync(file, `${JSON.stringify({ db, ...head })}\n`, { mode: 0o600 });
}

/** The journal's heads for one database; a line that does not parse (a torn last write) is counted. */
export function readHeadJournal(file: string, db: string): { heads: SignedHead[]; unreadable: number } {
  if (!existsSync(file)) return { heads: [], unreadable: 0 };
  const heads: SignedHead[] = [];
  let unreadable = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const parsed = JournalLineSchema.safeParse(safeJson(line));
    if (!parsed.success) unreadable += 1;
    else if (parsed.data.db === db)
      heads.push({ statement: parsed.data.statement, signature: parsed.data.signature });
  }
  return { heads, unreadable };
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** What the orchestrator calls at phase boundaries and at a run's end. */
export interface HeadSigner {
  /** Loads (or makes) the key now, so a bad key fails a command before it does any work. */
  ready(): void;
  signHead(runId: string, at: string): Promise<SignedHead>;
}

export interface HeadSignerOptions {
  db: Database;
  /** Called once, on first use. */
  loadKey: () => LedgerKey;
  /** The journal file every signed head is also appended to. */
  journalFile: string;
  /** A journal that cannot be written (say, a full disk) is reported here; the database keeps the head. */
  onJournalError?: (error: Error) => void;
}

export function createHeadSigner(options: HeadSignerOptions): HeadSigner {
  let key: LedgerKey | undefined;
  const ready = (): LedgerKey => {
    key ??= options.loadKey();
    return key;
  };
  return {
    ready: () => void ready(),
    async signHead(runId, at) {
      const head = await signRunHead(options.db, ready(), runId, at);
      try {
        appendHeadJournal(options.journalFile, journalTag(options.db), head);
      } catch (error) {
        options.onJournalError?.(error as Error);
      }
      return head;
    },
  };
}
