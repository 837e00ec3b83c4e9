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

/**
 * Latency in milliseconds over every response, 2xx or not (autocannon records non-2xx responses too
 * unless told otherwise), from autocannon's HDR histogram at 1 ms resolution. These are the
 * percentiles autocannon reports: it has no p95, so the report gives p97.5 (`p97_5`) rather than
 * inventing a p95 by interpolation. All zero when there was no response.
 */
export const LoadLatency = z.object({
  p50: z.number().min(0),
  p90: z.number().min(0),
  p97_5: z.number().min(0),
  p99: z.number().min(0),
  max: z.number().min(0),
  mean: z.number().min(0),
});
export type LoadLatency = z.infer<typeof LoadLatency>;

export const LoadStats = z.object({
  /** Responses received (any status). */
  requests: z.number().int().min(0),
  /** Responses per second over the measured time. */
  throughput: z.number().min(0),
  latencyMs: LoadLatency,
  /** Requests that got no response: connection errors, timeouts included. */
  errors: z.number().int().min(0),
  /** Requests that timed out (also counted in `errors`). */
  timeouts: z.number().int().min(0),
  /** Responses whose status was not 2xx. */
  non2xx: z.number().int().min(0),
  /** (non2xx + errors) / (requests + errors): the share of attempts that did not end in a 2xx; 0 when none. */
  errorRate: Share,
  /** Responses by status code. */
  statusCodes: z.record(z.string(), z.number().int().min(0)),
  /** Seconds actually measured (autocannon's own duration). */
  durationSeconds: z.number().min(0),
});
export type LoadStats = z.infer<typeof LoadStats>;

/** A load test of the running service: each path hammered in turn for `durationSeconds`. */
export const LoadTestReport = z.object({
  /** `id@version`, the version being autocannon's, e.g. `load-test@9.0.0`. */
  tool: z.string().min(1),
  /** Where the app listened (`http://127.0.0.1:<port>`), or null when it was not started. */
  baseUrl: z.string().nullable(),
  /** Asked-for duration per path, in seconds. */
  durationSeconds: z.number().positive(),
  /** Concurrent connections per path. */
  connections: z.number().int().positive(),
  /** One entry per path, in the order they ran (GET requests). */
  paths: z.array(
    LoadStats.extend({
      path: z.string(),
      headers: z.record(z.string(), z.string()).optional(),
    }),
  ),
  /** Every path together: counts summed, latency from the merged histograms, throughput over the total time. */
  overall: LoadStats,
  /** Why the app was not load-tested (it never answered GET /healthz with 200); every count is then zero. */
  startError: z.string().optional(),
  /** The commit of the workspace that was tested. */
  commit: z.string().optional(),
});
export type LoadTestReport = z.infer<typeof LoadTestReport>;
