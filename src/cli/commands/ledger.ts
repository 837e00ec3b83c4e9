import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, ExitCode, IdeaMineError, invalidInput, isIdeaMineError } from '../../core/errors.ts';
import {
  buildLedgerExport,
  readLedgerExport,
  verifyLedgerExport,
} from '../../observability/ledger-export.ts';
import { journalTag, LEDGER_JOURNAL_FILE } from '../../observability/ledger-heads.ts';
import {
  type LedgerPublicKey,
  loadLedgerKey,
  loadOrCreateLedgerKey,
  parsePublicKey,
} from '../../observability/ledger-key.ts';
import { type SignedLedgerReport, verifySignedLedger } from '../../observability/ledger-verify.ts';
import type { Runtime } from '../../runtime.ts';
import type { CliContext } from '../context.ts';
import { printJson, printLine } from '../output.ts';
import { withRuntime } from '../with-runtime.ts';
import { resolveRunId } from './run.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Problems printed one per line; the rest are counted (the JSON report has them all). */
const PROBLEMS_SHOWN = 20;

interface VerifyFlags {
  file?: string;
  publicKey: string[];
  json?: boolean;
}

/** `ideamine ledger verify | export | key`: the signed ledger (see src/observability/ledger-verify.ts). */
export function registerLedgerCommands(program: Command, cli: CliContext): void {
  const ledger = program.command('ledger').description("the run's signed, append-only ledger");
  ledger
    .command('verify [run]')
    .description(
      'check a run ledger: hash chain, signed heads, the key chain and the local journal (exit 1 when broken)',
    )
    .option('--file <export>', 'verify a `ledger export` file instead, with nothing but the public key')
    .option(
      '--public-key <key>',
      'a trusted public key, "ed25519:…" or PEM (repeatable; default: this installation\'s key)',
      (value: string, all: string[]) => [...all, value],
      [],
    )
    .option('--json', 'print the report as JSON')
    .action(async (run: string | undefined, flags: VerifyFlags) => {
      const given = flags.publicKey.map(parsePublicKey);
      const report = flags.file ? verifyFile(cli, flags.file, given) : await verifyRun(cli, run, given);
      printReport(report, flags.json === true);
      if (!report.ok) process.exitCode = ExitCode.failure;
    });

  ledger
    .command('export <run>')
    .description("write a run's entries and signed heads to one JSON file that verifies on its own")
    .option('-o, --out <file>', 'where to write it (default: ./ledger-<run id>.json)')
    .action(async (run: string, flags: { out?: string }) => {
      await withRuntime(cli, async (rt) => {
        const runId = await resolveRunId(rt, run);
        const doc = await buildLedgerExport(rt.db, runId);
        const out = resolve(flags.out ?? `ledger-${runId}.json`);
        writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
        printLine(out);
        printLine(`${doc.entries.length} entries, ${doc.heads.length} signed heads`);
        const own = loadLedgerKey(cli.options());
        if (own)
          printLine(
            `verify with: ideamine ledger verify --file ${out} --public-key ${own.publicKey.publicKey}`,
          );
      });
    });

  ledger
    .command('key')
    .description("print this installation's ledger public key (made on first use); keep a copy elsewhere")
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => {
      const key = loadOrCreateLedgerKey(cli.options());
      if (flags.json) return printJson({ ...key.toJSON() });
      printLine(key.publicKey.publicKey);
      printLine(`key id ${key.publicKey.keyId}, private key in ${key.source}`);
    });
}

/** Trusted keys: the ones given, else this installation's own (never made here: verify writes nothing). */
function trustedKeys(cli: CliContext, given: LedgerPublicKey[]): LedgerPublicKey[] {
  if (given.length > 0) return given;
  const own = loadLedgerKey(cli.options());
  return own ? [own.publicKey] : [];
}

function verifyFile(cli: CliContext, file: string, given: LedgerPublicKey[]): SignedLedgerReport {
  const trusted = trustedKeys(cli, given);
  if (trusted.length === 0)
    throw invalidInput('--file needs --public-key (this installation has no ledger key to trust)');
  const doc = readLedgerExport(file);
  if ('invalid' in doc)
    return {
      ok: false,
      runId: '?',
      entries: 0,
      signedHeads: 0,
      lastHead: undefined,
      unsignedTail: 0,
      problems: [{ what: doc.invalid, where: file }],
    };
  return verifyLedgerExport(doc, trusted);
}

async function verifyRun(
  cli: CliContext,
  run: string | undefined,
  given: LedgerPublicKey[],
): Promise<SignedLedgerReport> {
  if (!run) throw invalidInput('name a run (or give --file <export>)');
  const trusted = trustedKeys(cli, given);
  return withRuntime(cli, async (rt) => {
    const { runId, stored } = await runIdEvenIfDeleted(rt, run);
    const report = await verifySignedLedger(rt.db, runId, {
      trusted,
      journal: { file: join(rt.options.home, LEDGER_JOURNAL_FILE), db: journalTag(rt.db) },
    });
    if (!stored && report.entries === 0 && report.signedHeads === 0 && report.problems.length === 0)
      throw new IdeaMineError(ErrorCode.notFound, `no run ${run} and no ledger evidence of one`);
    return report;
  });
}

/**
 * A full run id is verified even when its run row is gone: the signed heads that name it are exactly
 * the evidence that it had entries.
 */
async function runIdEvenIfDeleted(rt: Runtime, run: string): Promise<{ runId: string; stored: boolean }> {
  try {
    return { runId: await resolveRunId(rt, run), stored: true };
  } catch (error) {
    if (isIdeaMineError(error) && error.code === ErrorCode.notFound && UUID.test(run))
      return { runId: run.toLowerCase(), stored: false };
    throw error;
  }
}

function printReport(report: SignedLedgerReport, json: boolean): void {
  if (json) {
    printJson(report);
    return;
  }
  const last = report.lastHead;
  if (report.ok) {
    const signed = last
      ? `${report.signedHeads} signed heads verified (last: ${last.at}, seq ${last.seq})`
      : 'no signed head yet';
    printLine(`ledger ok: run ${report.runId}, ${report.entries} entries, chain intact, ${signed}`);
    if (report.unsignedTail > 0)
      printLine(`note: ${report.unsignedTail} entries after the last signed head are not signed yet`);
    return;
  }
  printLine(`ledger BROKEN: run ${report.runId}, ${report.problems.length} problems`);
  for (const p of report.problems.slice(0, PROBLEMS_SHOWN)) printLine(`  ${p.what} — at ${p.where}`);
  if (report.problems.length > PROBLEMS_SHOWN)
    printLine(`  … and ${report.problems.length - PROBLEMS_SHOWN} more (--json lists them all)`);
}
