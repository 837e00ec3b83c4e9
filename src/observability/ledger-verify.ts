import type { Queryable } from '../storage/database.ts';
import { getRun } from '../storage/run-store.ts';
import { chainBreak, type LedgerEntry, readLedger } from './ledger.ts';
import {
  describeHead,
  type HeadStatement,
  readHeadJournal,
  readKeyChains,
  readRunHeads,
  type SignedHead,
  statementHash,
  statementText,
} from './ledger-heads.ts';
import { type LedgerPublicKey, signatureValid } from './ledger-key.ts';

/**
 * Verifies a run's ledger against its signed heads. The hash chain alone proves nothing to someone
 * who can rewrite rows (they recompute it); a signed head can only come from the private key. So a
 * run verifies when its chain is intact, every head naming it is signed by a trusted key and matches
 * the entries (hash and count at its seq), the trusted keys' chains of heads have no gap or broken
 * link, and every head in the local journal is still in the database.
 */

const ENDED = new Set(['succeeded', 'failed', 'cancelled']);

/** One thing that is wrong: what, and where (an entry seq, a signed head, a file). */
export interface LedgerProblem {
  what: string;
  where: string;
}

export interface SignedLedgerReport {
  ok: boolean;
  runId: string;
  entries: number;
  /** Heads of this run that verified: trusted key, valid signature, matching the entries. */
  signedHeads: number;
  lastHead: HeadStatement | undefined;
  /** Entries after the last verified head: appended since, not yet vouched for by a signature. */
  unsignedTail: number;
  problems: LedgerProblem[];
}

type Entry = Pick<LedgerEntry, 'seq' | 'runId' | 'type' | 'data' | 'provenance' | 'prevHash' | 'hash'>;

export interface RunLedgerInput {
  runId: string;
  /** The run's entries in seq order. */
  entries: readonly Entry[];
  /** Every head whose statement names the run, whatever key signed it. */
  heads: readonly SignedHead[];
  trusted: readonly LedgerPublicKey[];
}

/** The checks that need only the run's own entries and heads (used for the database and for files). */
export function checkRunLedger(input: RunLedgerInput): Omit<SignedLedgerReport, 'ok'> {
  const { runId, entries, trusted } = input;
  const problems: LedgerProblem[] = [];
  for (const e of entries)
    if (e.runId !== runId)
      problems.push({ what: `entry belongs to run ${e.runId}`, where: `entry seq ${e.seq}` });
  const broken = chainBreak(entries);
  if (broken) problems.push({ what: broken.reason, where: `entry seq ${broken.seq}` });

  const heads = [...input.heads].sort((a, b) => (a.statement.seq ?? -1) - (b.statement.seq ?? -1));
  const verified: HeadStatement[] = [];
  for (const head of heads) {
    const s = head.statement;
    const where = describeHead(s);
    const key = trusted.find((k) => k.keyId === s.keyId);
    if (!key) {
      problems.push({ what: `signed with key ${s.keyId}, which is not trusted here`, where });
      continue;
    }
    if (!signatureValid(key, statementText(s), head.signature)) {
      problems.push({ what: 'signature does not verify: the statement was changed or forged', where });
      continue;
    }
    if (s.runId !== runId) {
      problems.push({ what: `names run ${s.runId}`, where });
      continue;
    }
    const mismatch = headMismatch(s, entries, verified);
    if (mismatch) problems.push({ what: mismatch, where });
    else verified.push(s);
  }
  problems.push(...monotonicProblems(verified));
  const lastHead = verified.at(-1);
  const lastSeq = lastHead?.seq ?? null;
  return {
    runId,
    entries: entries.length,
    signedHeads: verified.length,
    lastHead,
    unsignedTail: entries.filter((e) => lastSeq === null || e.seq > lastSeq).length,
    problems,
  };
}

/** Why the entries do not match a signed head, or undefined when they do. */
function headMismatch(
  s: HeadStatement,
  entries: readonly Entry[],
  verifiedBefore: readonly HeadStatement[],
): string | undefined {
  if (s.seq === null) return s.entries === 0 ? undefined : `signed ${s.entries} entries but no seq`;
  const upTo = entries.filter((e) => e.seq <= (s.seq as number));
  const at = entries.find((e) => e.seq === s.seq);
  if (!at) {
    return entries.length === 0
      ? `the run has no entries left; this head signed ${s.entries} (all deleted)`
      : `entry seq ${s.seq} is gone: ${upTo.length} of the ${s.entries} signed entries up to it remain (tail cut or entries deleted)`;
  }
  if (at.hash !== s.hash) {
    const since = verifiedBefore.at(-1)?.seq;
    const range = since == null ? `up to seq ${s.seq}` : `after seq ${since} up to seq ${s.seq}`;
    return `entries ${range} differ from what was signed (edited, reordered or deleted, chain recomputed): hash at seq ${s.seq} is not the signed one`;
  }
  if (upTo.length !== s.entries)
    return `${s.entries} entries were signed up to seq ${s.seq}; ${upTo.length} are there`;
  return undefined;
}

/** A later head of one key never names an earlier point of the chain than an earlier head did. */
function monotonicProblems(verified: readonly HeadStatement[]): LedgerProblem[] {
  const problems: LedgerProblem[] = [];
  const byN = [...verified].sort((a, b) => a.keyId.localeCompare(b.keyId) || a.n - b.n);
  for (let i = 1; i < byN.length; i += 1) {
    const a = byN[i - 1] as HeadStatement;
    const b = byN[i] as HeadStatement;
    if (a.keyId === b.keyId && (b.entries < a.entries || (b.seq ?? -1) < (a.seq ?? -1)))
      problems.push({
        what: `names fewer entries than the earlier ${describeHead(a)}`,
        where: describeHead(b),
      });
  }
  return problems;
}

/**
 * Checks one key's chain of heads, in n order: it starts at 1, has no gap (deleted heads), every
 * head links to the one before and carries a valid signature.
 */
export function checkKeyChain(key: LedgerPublicKey, chain: readonly SignedHead[]): LedgerProblem[] {
  const problems: LedgerProblem[] = [];
  const label = `chain of signed heads of key ${key.keyId}`;
  let prev: HeadStatement | undefined;
  for (const head of chain) {
    const s = head.statement;
    const expected = (prev?.n ?? 0) + 1;
    if (s.n !== expected)
      problems.push({
        what: `signed heads ${expected}..${s.n - 1} are missing (deleted)`,
        where: `${label}, before ${describeHead(s)} of run ${s.runId}`,
      });
    else if (s.prev !== (prev ? statementHash(prev) : null))
      problems.push({
        what: 'does not link to the head before it',
        where: `${describeHead(s)} of run ${s.runId}`,
      });
    if (s.keyId !== key.keyId || !signatureValid(key, statementText(s), head.signature))
      problems.push({
        what: 'signature does not verify: the statement was changed or forged',
        where: `${label}, ${describeHead(s)} of run ${s.runId}`,
      });
    prev = s;
  }
  return problems;
}

/**
 * The journal holds every head this installation signed. One missing from the database was deleted
 * there — which is how a cut at the very end of a key's chain (the newest run, entries and heads
 * removed together) still shows.
 */
export function checkJournal(
  journal: readonly SignedHead[],
  stored: readonly SignedHead[],
  trusted: readonly LedgerPublicKey[],
  file: string,
): LedgerProblem[] {
  const byKeyN = new Map(stored.map((h) => [`${h.statement.keyId}#${h.statement.n}`, h]));
  const problems: LedgerProblem[] = [];
  for (const head of journal) {
    const s = head.statement;
    const key = trusted.find((k) => k.keyId === s.keyId);
    if (!key) continue;
    const where = `${describeHead(s)} of run ${s.runId}, in ${file}`;
    if (!signatureValid(key, statementText(s), head.signature)) {
      problems.push({ what: 'journal line does not verify (the journal was edited)', where });
      continue;
    }
    const twin = byKeyN.get(`${s.keyId}#${s.n}`);
    if (!twin)
      problems.push({ what: 'signed head is in the local journal but not in the database (deleted)', where });
    else if (statementText(twin.statement) !== statementText(s) || twin.signature !== head.signature)
      problems.push({ what: "the database's copy differs from the journal's", where });
  }
  return problems;
}

export interface VerifyOptions {
  /** Public keys whose signatures count: the local key's and any given with `--public-key`. */
  trusted: readonly LedgerPublicKey[];
  /** The local journal of signed heads (`<home>/ledger-heads.jsonl`) and this database's tag in it. */
  journal?: { file: string; db: string } | undefined;
}

/** Verifies a run's ledger in the database: chain, its signed heads, the key chains and the journal. */
export async function verifySignedLedger(
  db: Queryable,
  runId: string,
  options: VerifyOptions,
): Promise<SignedLedgerReport> {
  const { trusted } = options;
  const [run, entries, heads, chains] = await Promise.all([
    getRun(db, runId),
    readLedger(db, runId),
    readRunHeads(db, runId),
    readKeyChains(
      db,
      trusted.map((k) => k.keyId),
    ),
  ]);
  const report = checkRunLedger({ runId, entries, heads, trusted });
  const problems = [...report.problems];
  // A finished run had its head signed at its end: entries no signature covers were added after.
  if (run && ENDED.has(run.status) && report.unsignedTail > 0)
    problems.push({
      what: `the run ${run.status}, yet ${report.unsignedTail} of its entries are covered by no signed head (added afterwards)`,
      where: report.lastHead ? `entries after seq ${report.lastHead.seq}` : `every entry of run ${runId}`,
    });
  if (trusted.length === 0 && (heads.length > 0 || entries.length > 0))
    problems.push({
      what: 'no trusted public key here: give --public-key (`ideamine ledger key` prints it where the run was signed)',
      where: `run ${runId}`,
    });
  for (const key of trusted)
    problems.push(
      ...checkKeyChain(
        key,
        chains.filter((h) => h.statement.keyId === key.keyId),
      ),
    );
  if (options.journal) {
    const { heads: journaled } = readHeadJournal(options.journal.file, options.journal.db);
    problems.push(...checkJournal(journaled, chains, trusted, options.journal.file));
  }
  return { ...report, problems, ok: problems.length === 0 };
}
