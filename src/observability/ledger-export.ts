import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import type { Queryable } from '../storage/database.ts';
import { readLedger } from './ledger.ts';
import { readRecordedKeys, readRunHeads, SignedHeadSchema } from './ledger-heads.ts';
import type { LedgerPublicKey } from './ledger-key.ts';
import { checkRunLedger, type SignedLedgerReport } from './ledger-verify.ts';

/**
 * `ideamine ledger export <run>`: a run's entries and signed heads in one JSON file that verifies with
 * nothing else but the signer's public key (`ledger verify --file f --public-key k`). The file also
 * names the public keys the database recorded, for information only: trust comes from the key the
 * verifier is given, never from the file.
 */

const FORMAT = 'ideamine-ledger-export';

const ExportedEntrySchema = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    runId: z.string().nullable(),
    type: z.enum(['task', 'gate', 'decision', 'artifact', 'cost', 'signature']),
    data: z.record(z.string(), z.unknown()),
    provenance: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    prevHash: z.string().nullable(),
    hash: z.string(),
  })
  .strict();

export const LedgerExportSchema = z
  .object({
    format: z.literal(FORMAT),
    version: z.literal(1),
    runId: z.string(),
    exportedAt: z.string(),
    recordedKeys: z.array(z.object({ keyId: z.string(), publicKey: z.string() }).strict()),
    entries: z.array(ExportedEntrySchema),
    heads: z.array(SignedHeadSchema),
  })
  .strict();
export type LedgerExport = z.infer<typeof LedgerExportSchema>;

export async function buildLedgerExport(db: Queryable, runId: string): Promise<LedgerExport> {
  const [entries, heads, recordedKeys] = await Promise.all([
    readLedger(db, runId),
    readRunHeads(db, runId),
    readRecordedKeys(db),
  ]);
  const keyIds = new Set(heads.map((h) => h.statement.keyId));
  return {
    format: FORMAT,
    version: 1,
    runId,
    exportedAt: new Date().toISOString(),
    recordedKeys: recordedKeys.filter((k) => keyIds.has(k.keyId)),
    entries: entries.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })),
    heads,
  };
}

/**
 * Reads an export file. A missing file is bad usage (exit 2); a file that is not a well-formed export
 * fails verification (exit 1 from the caller), since an edit may be what broke it.
 */
export function readLedgerExport(file: string): LedgerExport | { invalid: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new IdeaMineError(ErrorCode.invalidInput, `cannot read ${file}: ${(error as Error).message}`, {
      errorClass: ErrorClass.fatal,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { invalid: `not JSON (${(error as Error).message})` };
  }
  const parsed = LedgerExportSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return { invalid: `not a ledger export: ${issue?.path.join('.') || '(root)'}: ${issue?.message}` };
}

/**
 * Verifies an export on its own. Stricter than the database check in one way: every entry must be
 * covered by a signed head, since nothing outside the file could vouch for an unsigned tail.
 */
export function verifyLedgerExport(
  doc: LedgerExport,
  trusted: readonly LedgerPublicKey[],
): SignedLedgerReport {
  const report = checkRunLedger({ runId: doc.runId, entries: doc.entries, heads: doc.heads, trusted });
  const problems = [...report.problems];
  if (report.signedHeads === 0)
    problems.push({ what: 'no signed head verifies: nothing vouches for these entries', where: 'the file' });
  else if (report.unsignedTail > 0)
    problems.push({
      what: `${report.unsignedTail} entries after the last signed head are not covered by any signature`,
      where: `entries after seq ${report.lastHead?.seq}`,
    });
  return { ...report, problems, ok: problems.length === 0 };
}
