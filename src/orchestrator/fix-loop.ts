import { tmpdir } from 'node:os';
import { z } from 'zod';
import { canonicalJson, sha256 } from '../core/ids.ts';

/**
 * Fix-loop detection. After a failed gate attempt of a measuring phase, the attempt is summed up as
 * a round: which tests failed, what their failures said, and what code the fixers applied. When round
 * N says exactly what round N−1 said, the next attempt would start from the same code with the same
 * failures and the same fix, so the loop stops instead of spending the remaining gate attempts.
 *
 * - `failingTests`: the names of failures and not-passed cases of the attempt's `TestReport` and
 *   `AcceptanceRun`, plus `parse error in <file>` for each file that did not parse; sorted, unique.
 * - `errorSignature`: sha256 over those names and their messages with volatile parts removed
 *   (numbers, durations, hex ids, ports, temp paths — see `normalizeMessage`), so two runs of the
 *   same bug on different ports, in different temp dirs, at different speeds sign the same.
 * - `diffHash`: sha256 over the files and deletions of the `CodePatch`es the fixers returned (and the
 *   apply stage committed) in the attempt, or `no change` when they changed nothing.
 */

export const NO_CHANGE = 'no change';

export interface FixRound {
  attempt: number;
  failingTests: string[];
  errorSignature: string;
  diffHash: string;
}

/** Why round N repeats round N−1: what the phase's FixLoopReport and ledger decision say. */
export interface FixLoopRepeat {
  attempt: number;
  repeats: number;
  failingTests: string[];
  errorSignature: string;
  diffHash: string;
  reason: string;
}

/** What a test report holds that a round needs, read structurally (TestReport and AcceptanceRun). */
const Report = z
  .object({
    cases: z
      .array(z.object({ name: z.string(), status: z.string(), message: z.string().optional() }).loose())
      .default([]),
    failures: z.array(z.object({ name: z.string(), message: z.string() }).loose()).default([]),
    parseErrors: z
      .array(z.object({ file: z.string(), line: z.number().optional(), message: z.string() }).loose())
      .default([]),
    startError: z.string().optional(),
  })
  .loose();

const Patch = z
  .object({
    files: z.array(z.object({ path: z.string(), content: z.string() }).loose()).default([]),
    deletions: z.array(z.string()).optional(),
  })
  .loose();

/** Report types whose failures make a round. */
export const ROUND_REPORT_TYPES: ReadonlySet<string> = new Set(['TestReport', 'AcceptanceRun']);

const TEMP_ROOTS = [
  ...new Set([tmpdir(), '/tmp', '/var/tmp', '/var/folders', '/private/var/folders'].filter(Boolean)),
];
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const TEMP_PATH = new RegExp(
  `(?:file://)?(?:${TEMP_ROOTS.map(escapeRegExp).join('|')})/[^\\s'"\`()<>,;]*`,
  'g',
);

/**
 * A failure message without the parts that change between two runs of the same failure. Inside a temp
 * path, a run's workspace keeps its relative part (`<workspace>/src/a.js`): which file failed is not
 * volatile, where the run lives is.
 */
export function normalizeMessage(text: string): string {
  return text
    .replace(TEMP_PATH, (path) => {
      const at = path.indexOf('/workspace/');
      return at >= 0 ? `<workspace>/${path.slice(at + '/workspace/'.length)}` : '<tmp>';
    })
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>')
    .replace(/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<time>')
    .replace(/\b(?:0x)?[0-9a-f]*[a-f][0-9a-f]*\b/gi, (word) =>
      word.length >= 7 && /\d/.test(word) ? '<hex>' : word,
    )
    .replace(/\b(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1?\]):\d{1,5}\b/g, '$1:<port>')
    .replace(/\b\d+(?:\.\d+)?\s?(?:ms|µs|us|ns|s|sec|secs|seconds|min|minutes)\b/g, '<duration>')
    .replace(/\d+(?:\.\d+)?/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Failing names and their messages, from one attempt's tool reports. */
function failuresOf(reports: readonly { type: string; content: unknown }[]): {
  byName: Map<string, Set<string>>;
  other: string[];
} {
  const byName = new Map<string, Set<string>>();
  const other: string[] = [];
  const add = (name: string, message: string) => {
    const set = byName.get(name) ?? new Set<string>();
    set.add(normalizeMessage(message));
    byName.set(name, set);
  };
  for (const report of reports) {
    if (!ROUND_REPORT_TYPES.has(report.type)) continue;
    const parsed = Report.safeParse(report.content);
    if (!parsed.success) continue;
    const r = parsed.data;
    for (const f of r.failures) add(f.name, f.message);
    for (const c of r.cases) if (c.status !== 'passed') add(c.name, c.message ?? c.status);
    for (const e of r.parseErrors) add(`parse error in ${e.file}`, e.message);
    if (r.startError !== undefined) other.push(`${report.type} start: ${normalizeMessage(r.startError)}`);
  }
  // Scanner findings fail a gate the way tests do: the same findings on the same code are the same round.
  for (const report of reports) for (const [name, message] of scannerFailures(report)) add(name, message);
  return { byName, other };
}

const Findings = z.object({
  findings: z.array(z.object({ file: z.string(), line: z.number(), rule: z.string() }).loose()),
});
const Pages = z.object({
  pages: z.array(
    z.object({
      path: z.string(),
      error: z.string().optional(),
      violations: z.array(z.object({ id: z.string(), impact: z.string().nullable() }).loose()),
    }),
  ),
});

/** What a scanner report holds against the gate, as (name, message) pairs. */
function scannerFailures(report: { type: string; content: unknown }): [string, string][] {
  if (report.type === 'SecretScan' || report.type === 'StaticAnalysis') {
    const parsed = Findings.safeParse(report.content);
    if (!parsed.success) return [];
    return parsed.data.findings
      .filter((f) => report.type === 'SecretScan' || f['severity'] === 'high' || f['severity'] === 'critical')
      .map((f) => [`${report.type === 'SecretScan' ? 'secret' : f.rule} at ${f.file}:${f.line}`, f.rule]);
  }
  if (report.type === 'AccessibilityScan') {
    const parsed = Pages.safeParse(report.content);
    if (!parsed.success) return [];
    return parsed.data.pages.flatMap((p): [string, string][] => [
      ...(p.error !== undefined ? [[`page ${p.path}`, p.error] as [string, string]] : []),
      ...p.violations.map((v): [string, string] => [`${v.id} on ${p.path}`, v.impact ?? 'unrated']),
    ]);
  }
  return [];
}

/** The hash of the code the fixers applied, or `no change`. Files are keyed by path: order is not a change. */
export function diffHashOf(patches: readonly unknown[]): string {
  const files = new Map<string, string>();
  const deletions = new Set<string>();
  for (const content of patches) {
    const parsed = Patch.safeParse(content);
    if (!parsed.success) continue;
    for (const f of parsed.data.files) files.set(f.path, f.content);
    for (const d of parsed.data.deletions ?? []) deletions.add(d);
  }
  if (files.size === 0 && deletions.size === 0) return NO_CHANGE;
  return sha256(
    canonicalJson({
      files: [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      deletions: [...deletions].sort(),
    }),
  );
}

export interface RoundInput {
  attempt: number;
  /** The attempt's tool reports (types other than TestReport and AcceptanceRun are ignored). */
  reports: readonly { type: string; content: unknown }[];
  /** The contents of the CodePatches the fixers returned this attempt (carried-forward ones excluded). */
  patches: readonly unknown[];
}

export function fixRound(input: RoundInput): FixRound {
  const { byName, other } = failuresOf(input.reports);
  const failingTests = [...byName.keys()].sort();
  const signed = failingTests.map((name) => [name, [...(byName.get(name) ?? [])].sort()]);
  return {
    attempt: input.attempt,
    failingTests,
    errorSignature: sha256(canonicalJson({ failures: signed, other: [...other].sort() })),
    diffHash: diffHashOf(input.patches),
  };
}

const LIST_LIMIT = 5;

function namesOf(tests: readonly string[]): string {
  const shown = tests.slice(0, LIST_LIMIT).join('; ');
  return tests.length > LIST_LIMIT ? `${shown}; and ${tests.length - LIST_LIMIT} more` : shown;
}

/**
 * Round `current` repeats `previous` when both have failing tests and all three parts are equal. A
 * round with no failing test (the gate failed on coverage or a performance budget only) is never a
 * repeat: nothing here says the next attempt could not change it.
 */
export function repeatedRound(previous: FixRound | undefined, current: FixRound): FixLoopRepeat | undefined {
  if (!previous || current.failingTests.length === 0) return undefined;
  const same =
    canonicalJson(previous.failingTests) === canonicalJson(current.failingTests) &&
    previous.errorSignature === current.errorSignature &&
    previous.diffHash === current.diffHash;
  if (!same) return undefined;
  const n = current.failingTests.length;
  const patch = current.diffHash === NO_CHANGE ? 'same patch (no change)' : 'same patch';
  return {
    attempt: current.attempt,
    repeats: previous.attempt,
    failingTests: current.failingTests,
    errorSignature: current.errorSignature,
    diffHash: current.diffHash,
    reason:
      `attempt ${current.attempt} repeated attempt ${previous.attempt}: same ${n} failing test${n === 1 ? '' : 's'} ` +
      `(${namesOf(current.failingTests)}), same errors, ${patch}`,
  };
}

/** Artifact type of the structured failure report a repeated round leaves behind. */
export const FIX_LOOP_REPORT = 'FixLoopReport';

/** Longest list of failing test names a report or ledger entry carries; the count says how many. */
const REPORT_LIST_LIMIT = 50;

/** The content of a `FixLoopReport` artifact (provenance `source: 'orchestrator'`). */
export const FixLoopReport = z.object({
  phase: z.string(),
  /** Gate attempts used, this one included. */
  attempts: z.number().int().positive(),
  maxAttempts: z.number().int().positive(),
  /** The attempt this one repeated. */
  repeats: z.number().int().positive(),
  failingTests: z.array(z.string()),
  failingTestCount: z.number().int().min(0),
  errorSignature: z.string(),
  diffHash: z.string(),
  reason: z.string(),
  evidencePackId: z.string().optional(),
});
export type FixLoopReport = z.infer<typeof FixLoopReport>;

export function fixLoopReport(
  phase: string,
  maxAttempts: number,
  repeat: FixLoopRepeat,
  evidencePackId?: string,
): FixLoopReport {
  return {
    phase,
    attempts: repeat.attempt,
    maxAttempts,
    repeats: repeat.repeats,
    failingTests: repeat.failingTests.slice(0, REPORT_LIST_LIMIT),
    failingTestCount: repeat.failingTests.length,
    errorSignature: repeat.errorSignature,
    diffHash: repeat.diffHash,
    reason: repeat.reason,
    ...(evidencePackId ? { evidencePackId } : {}),
  };
}
