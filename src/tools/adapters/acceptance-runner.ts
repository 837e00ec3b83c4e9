import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AcceptanceRun } from '../../core/schemas/tool-reports.ts';
import { shellQuote } from '../runner.ts';
import type { Tool } from '../tool.ts';
import { nodeDriverPlan, WorkspaceToolInput } from './node-driver.ts';
import { buildTestReport, readNodeTestEvents } from './node-test-events.ts';
import { readPackageJson, scriptOf, selectionFromScript, shellWords } from './npm-test-script.ts';

/**
 * `acceptance-runner`: the acceptance tests (`test/acceptance/`) against the running app over HTTP.
 * App and tests share one sandboxed invocation, so the app needs no network beyond the sandbox's own
 * loopback, and the time and memory limits cover both.
 */

export const AcceptanceRunnerInput = WorkspaceToolInput.extend({
  /** How long the app may take to answer `GET /healthz` with 200. */
  healthTimeoutMs: z.number().int().positive().default(30_000),
});
export type AcceptanceRunnerInput = z.infer<typeof AcceptanceRunnerInput>;

const DRIVER = fileURLToPath(new URL('./acceptance-driver.mjs', import.meta.url));
const PATTERNS = [
  'test/acceptance/**/*.test.js',
  'test/acceptance/**/*.test.mjs',
  'test/acceptance/**/*.test.cjs',
];
const DEFAULT_START = ['src/server.js'];

const DriverMeta = z.object({
  baseUrl: z.string().nullable(),
  startError: z.string().optional(),
  command: z.array(z.string()),
});

/** `node <file> [args]` from the start script, else `src/server.js`. */
export function startCommand(pkg: Record<string, unknown>): string[] {
  const words = shellWords(scriptOf(pkg, 'start') ?? '');
  if (words && words[0] === 'node' && words.length > 1 && !words[1]!.startsWith('-')) return words.slice(1);
  return DEFAULT_START;
}

export function productKind(pkg: Record<string, unknown>): 'service' | 'cli' {
  const ideamine = pkg['ideamine'];
  const kind =
    ideamine !== null && typeof ideamine === 'object' ? (ideamine as { kind?: unknown }).kind : undefined;
  return kind === 'cli' ? 'cli' : 'service';
}

export const acceptanceRunner: Tool<AcceptanceRunnerInput, AcceptanceRun> = {
  id: 'acceptance-runner',
  version: (ctx) => ctx.nodeVersion,
  input: AcceptanceRunnerInput,
  output: AcceptanceRun,
  async plan(input, ctx) {
    const pkg = await readPackageJson(ctx.workspace);
    const spec = {
      kind: productKind(pkg),
      start: startCommand(pkg),
      healthTimeoutMs: input.healthTimeoutMs,
      patterns: PATTERNS,
      // The workspace's own test-runner flags (e.g. --test-isolation=none), as `npm test` runs them.
      flags: selectionFromScript(scriptOf(pkg, 'test')).flags,
    };
    return nodeDriverPlan(DRIVER, ctx, spec, input);
  },
  reports: (output) => [{ type: 'AcceptanceRun', content: output }],
  async parse(result, input, ctx) {
    const events = await readNodeTestEvents(ctx.scratchDir, ctx.workspace);
    let meta: z.infer<typeof DriverMeta>;
    try {
      meta = DriverMeta.parse(JSON.parse(await readFile(join(ctx.scratchDir, 'acceptance.json'), 'utf8')));
    } catch {
      meta = {
        baseUrl: null,
        startError: `the acceptance driver ended early\n${result.stderr}`.trim(),
        command: [],
      };
    }
    if (meta.startError !== undefined) {
      // No app answered, so no test result means anything: each counts as failed, with the reason.
      events.cases = events.cases.map((c) => ({
        ...c,
        status: 'failed' as const,
        message: 'not run against the app: it did not become healthy (see startError)',
      }));
      const n = events.cases.length;
      events.summary = {
        event: 'summary',
        counts: { tests: n, passed: 0, failed: n, cancelled: 0, skipped: 0, todo: 0 },
        durationMs: result.durationMs,
      };
    }
    const command = meta.command.map(shellQuote).join(' ');
    const report = buildTestReport(ctx.ref, command, result, events, [], input.commit);
    return {
      ...report,
      baseUrl: meta.baseUrl,
      ...(meta.startError !== undefined ? { startError: meta.startError.slice(0, 8_000) } : {}),
    };
  },
};
