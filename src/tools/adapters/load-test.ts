import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { type LoadStats, LoadTestReport } from '../../core/schemas/tool-reports.ts';
import type { Tool } from '../tool.ts';
import { productKind, startCommand } from './acceptance-runner.ts';
import { nodeDriverPlan } from './node-driver.ts';
import { readPackageJson } from './npm-test-script.ts';

/**
 * `load-test`: the running service under load, measured by autocannon. Like the acceptance runner, the
 * app and the load generator share one sandboxed invocation (loopback only), so the time and memory
 * limits cover both. Each path gets `durationSeconds` of GET requests over `connections` connections,
 * one path after the other; the overall figures merge autocannon's histograms, not its percentiles.
 */

const Target = z.object({
  path: z.string().startsWith('/'),
  headers: z.record(z.string(), z.string()).optional(),
});
export type LoadTarget = z.infer<typeof Target>;

export const LoadTestInput = z.object({
  commit: z.string().optional(),
  /** Per path. */
  durationSeconds: z.number().positive().max(600).default(2),
  connections: z.number().int().min(1).max(1000).default(10),
  /** GET targets: a path, or a path with headers. Default: see `defaultTargets`. */
  paths: z
    .array(z.union([z.string().startsWith('/'), Target]))
    .min(1)
    .optional(),
  /** Default: the health wait plus every path's duration plus a minute. */
  timeoutMs: z.number().int().positive().optional(),
  memoryMb: z.number().int().positive().default(1024),
  /** How long the app may take to answer `GET /healthz` with 200. */
  healthTimeoutMs: z.number().int().positive().default(30_000),
});
export type LoadTestInput = z.infer<typeof LoadTestInput>;

const DRIVER = fileURLToPath(new URL('./load-test-driver.mjs', import.meta.url));
const requireHere = createRequire(import.meta.url);

/** The version of the autocannon the driver imports (it resolves from the same directory). */
export async function autocannonVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(requireHere.resolve('autocannon/package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The user header the generated services require on `/api/v1/*`. */
export const LOAD_TEST_USER = 'load-test';

/**
 * `/healthz`, plus the list endpoint of the first resource (`src/resources/*.js`, by file name) as
 * `GET /api/v1/<plural>` with `x-user: load-test`.
 */
export async function defaultTargets(workspace: string): Promise<LoadTarget[]> {
  const targets: LoadTarget[] = [{ path: '/healthz' }];
  let files: string[] = [];
  try {
    files = await readdir(join(workspace, 'src', 'resources'));
  } catch {
    // No resources: health only.
  }
  const first = files.filter((f) => f.endsWith('.js')).sort()[0];
  if (first !== undefined) {
    targets.push({ path: `/api/v1/${first.slice(0, -'.js'.length)}`, headers: { 'x-user': LOAD_TEST_USER } });
  }
  return targets;
}

function targetsOf(paths: NonNullable<LoadTestInput['paths']>): LoadTarget[] {
  return paths.map((p) => (typeof p === 'string' ? { path: p } : p));
}

/** The fields of an aggregated autocannon result that the report uses. */
const Histogram = z.object({
  mean: z.number().nullable(),
  max: z.number(),
  p50: z.number(),
  p90: z.number(),
  p97_5: z.number(),
  p99: z.number(),
});
const AutocannonResult = z.object({
  duration: z.number(),
  errors: z.number(),
  timeouts: z.number(),
  non2xx: z.number(),
  statusCodeStats: z.record(z.string(), z.object({ count: z.number() })),
  latency: Histogram,
  requests: z.object({ total: z.number() }),
});
type AutocannonResult = z.infer<typeof AutocannonResult>;

const DriverResult = z.union([
  z.object({ error: z.string() }),
  z.object({
    targets: z.array(Target),
    baseUrl: z.string().nullable(),
    startError: z.string().optional(),
    runs: z.array(z.object({ path: z.string(), result: AutocannonResult })).optional(),
    overall: AutocannonResult.nullable().optional(),
  }),
]);

const ZERO: LoadStats = {
  requests: 0,
  throughput: 0,
  latencyMs: { p50: 0, p90: 0, p97_5: 0, p99: 0, max: 0, mean: 0 },
  errors: 0,
  timeouts: 0,
  non2xx: 0,
  errorRate: 0,
  statusCodes: {},
  durationSeconds: 0,
};

const finite = (n: number | null): number => (n !== null && Number.isFinite(n) && n > 0 ? n : 0);
const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** autocannon's figures → the report's; `durationSeconds` overrides autocannon's (the sum, overall). */
export function statsOf(result: AutocannonResult, durationSeconds = result.duration): LoadStats {
  const requests = result.requests.total;
  const attempts = requests + result.errors;
  const empty = requests === 0;
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  return {
    requests,
    throughput: durationSeconds > 0 ? round(requests / durationSeconds) : 0,
    latencyMs: {
      p50: empty ? 0 : finite(result.latency.p50),
      p90: empty ? 0 : finite(result.latency.p90),
      p97_5: empty ? 0 : finite(result.latency.p97_5),
      p99: empty ? 0 : finite(result.latency.p99),
      max: empty ? 0 : finite(result.latency.max),
      mean: empty ? 0 : finite(result.latency.mean),
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    errorRate: attempts > 0 ? Math.min(1, (result.non2xx + result.errors) / attempts) : 0,
    statusCodes,
    durationSeconds: round(durationSeconds),
  };
}

interface Plan {
  kind: 'service' | 'cli';
  start: string[];
  healthTimeoutMs: number;
  durationSeconds: number;
  connections: number;
  targets: LoadTarget[];
}

async function planOf(input: LoadTestInput, workspace: string): Promise<Plan> {
  const pkg = await readPackageJson(workspace);
  return {
    kind: productKind(pkg),
    start: startCommand(pkg),
    healthTimeoutMs: input.healthTimeoutMs,
    durationSeconds: input.durationSeconds,
    connections: input.connections,
    targets: input.paths ? targetsOf(input.paths) : await defaultTargets(workspace),
  };
}

export const loadTest: Tool<LoadTestInput, LoadTestReport> = {
  id: 'load-test',
  version: () => autocannonVersion(),
  input: LoadTestInput,
  output: LoadTestReport,
  async plan(input, ctx) {
    const spec = await planOf(input, ctx.workspace);
    const timeoutMs =
      input.timeoutMs ??
      input.healthTimeoutMs + Math.ceil(spec.targets.length * input.durationSeconds * 1000) + 60_000;
    return nodeDriverPlan(DRIVER, ctx, spec, { timeoutMs, memoryMb: input.memoryMb });
  },
  reports: (output) => [{ type: 'LoadTestReport', content: output }],
  async parse(result, input, ctx) {
    let text: string;
    try {
      text = await readFile(join(ctx.scratchDir, 'load-test.json'), 'utf8');
    } catch {
      const why = result.timedOut
        ? 'it timed out'
        : `exit code ${result.exitCode}${result.signal ? `, signal ${result.signal}` : ''}`;
      throw new Error(`the load-test driver wrote no result (${why})\n${result.stderr}`.trim());
    }
    const driven = DriverResult.parse(JSON.parse(text));
    if ('error' in driven) throw new Error(`the load test failed: ${driven.error}`);
    const runs = driven.runs ?? [];
    const paths = driven.targets.map((target, i) => {
      const run = driven.startError === undefined ? runs[i] : undefined;
      return { ...target, ...(run ? statsOf(run.result) : ZERO) };
    });
    const total = runs.reduce((sum, run) => sum + run.result.duration, 0);
    const overall = driven.startError === undefined && driven.overall ? statsOf(driven.overall, total) : ZERO;
    return {
      tool: ctx.ref,
      baseUrl: driven.baseUrl,
      durationSeconds: input.durationSeconds,
      connections: input.connections,
      paths,
      overall,
      ...(driven.startError !== undefined ? { startError: driven.startError.slice(0, 8_000) } : {}),
      ...(input.commit !== undefined ? { commit: input.commit } : {}),
    };
  },
};
