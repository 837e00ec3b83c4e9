import { z } from 'zod';

/**
 * What tools measure, as typed reports. A report is stored as an artifact whose provenance says
 * `source: 'tool'` with the tool's `id@version`; the gatekeeper takes a measured metric only from such
 * an artifact (architecture.md §1, "a model never grades its own homework").
 *
 * Conventions shared by the workspace generator, the tool adapters and the metrics that read them:
 * - an acceptance test's name starts with its test id and story id: `TC-1.1.1 [US-1.1] <criterion>`;
 * - acceptance tests live under `test/acceptance/`, other tests under `test/`;
 * - a generated service answers `GET /healthz` with 200 once it is ready and listens on `PORT`;
 * - acceptance tests target `BASE_URL` when it is set, else start the app in-process.
 */

/** `TC-1.1.1 [US-1.1] …` → test id and story id. */
export const ACCEPTANCE_TEST_NAME = /^(TC-[A-Za-z0-9.-]+)\s+\[(US-[A-Za-z0-9.-]+)\]/;

export function parseAcceptanceTestName(name: string): { testId: string; storyId: string } | undefined {
  const m = ACCEPTANCE_TEST_NAME.exec(name.trim());
  return m ? { testId: m[1]!, storyId: m[2]! } : undefined;
}

const Share = z.number().min(0).max(1);

export const TestCaseResult = z.object({
  /** The test's full name as the runner printed it (nested suites joined with " > "). */
  name: z.string(),
  file: z.string().optional(),
  status: z.enum(['passed', 'failed', 'skipped', 'todo', 'cancelled']),
  durationMs: z.number().min(0),
  /** The failure message (assertion or error), first lines only. */
  message: z.string().optional(),
});
export type TestCaseResult = z.infer<typeof TestCaseResult>;

/** A source file that did not parse: the parser's own message. */
export const ParseError = z.object({
  file: z.string(),
  line: z.number().int().optional(),
  message: z.string(),
});
export type ParseError = z.infer<typeof ParseError>;

export const TestReport = z.object({
  /** `id@version` of the tool that ran, e.g. `test-runner@24.21.0`. */
  tool: z.string().min(1),
  /** The command as run (no secrets: tools get a scrubbed environment). */
  command: z.string(),
  exitCode: z.number().int().nullable(),
  passed: z.number().int().min(0),
  failed: z.number().int().min(0),
  skipped: z.number().int().min(0),
  todo: z.number().int().min(0),
  /** Tests cancelled by the runner (a parent failed or the run was cut short); not in `failed`. */
  cancelled: z.number().int().min(0).optional(),
  /** Every test the runner reported (leaf tests, not suites). */
  total: z.number().int().min(0),
  durationMs: z.number().min(0),
  cases: z.array(TestCaseResult),
  failures: z.array(z.object({ name: z.string(), message: z.string(), file: z.string().optional() })),
  parseErrors: z.array(ParseError),
  /** The commit of the workspace the tests ran on. */
  commit: z.string().optional(),
});
export type TestReport = z.infer<typeof TestReport>;

export const CoverageTotals = z.object({ lines: Share, branches: Share, functions: Share });

export const MeasuredCoverage = CoverageTotals.extend({
  tool: z.string().min(1),
  files: z.array(CoverageTotals.extend({ path: z.string() })),
  commit: z.string().optional(),
});
export type MeasuredCoverage = z.infer<typeof MeasuredCoverage>;

/** The acceptance run: the app started on a port, the acceptance tests run against it over HTTP. */
export const AcceptanceRun = TestReport.extend({
  /** Where the app answered (`http://127.0.0.1:<port>`), or null for a command-line product. */
  baseUrl: z.string().nullable(),
  /** The app's output when it failed to start (first lines). */
  startError: z.string().optional(),
});
export type AcceptanceRun = z.infer<typeof AcceptanceRun>;
