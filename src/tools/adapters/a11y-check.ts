import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  AccessibilityScan,
  AxeImpact,
  type AxeViolation,
  type ScannedPage,
  type ViolationCounts,
} from '../../core/schemas/accessibility-report.ts';
import { CHROMIUM_PATH, ChromiumNotInstalledError, HEADLESS_SHELL, locateChromium } from '../chromium.ts';
import { toolPath } from '../environment.ts';

import type { ProcessResult, Tool } from '../tool.ts';
import { productKind, startCommand } from './acceptance-runner.ts';
import { nodeDriverPlan } from './node-driver.ts';
import { readPackageJson } from './npm-test-script.ts';

/** Where Chromium is found lives in ../chromium.ts (shared with the dossier's PDF); still importable here. */
export { locateChromium };

/**
 * `a11y-check`: axe-core in headless Chromium on every page of the started app. The app, the browser
 * and the crawl share one sandboxed invocation (loopback only), so the time and memory limits cover
 * all three. The browser is the machine's (Debian's `chromium`), driven by playwright-core: a browser
 * is never downloaded. The tool's version is axe-core's, since axe decides what counts as a violation;
 * the report also names the playwright-core and Chromium versions.
 *
 * Limits, measured with Chromium 156 on Linux 6.x (a page set, a screenshot, inside bwrap):
 * - RLIMIT_AS cannot bound Chromium. The browser process reserves ~53 GB of address space (VmSize;
 *   PartitionAlloc's pools, PROT_NONE) and each renderer ~1.48 TB (V8's sandbox cage), while VmData is
 *   ~320 MB per process and RSS ~100-200 MB. Under the runner's usual backstop (data + 8 GB = 10 GB)
 *   Chromium died at launch ("Target page, context or browser has been closed"), at 16 and 32 GB too;
 *   at 64 GB the launch hung until its timeout; from 128 GB up it worked. So the plan asks for
 *   `addressSpace: 'unbounded'` and the runner leaves RLIMIT_AS off for this tool.
 * - RLIMIT_DATA works as for any Node tool (memoryMb + 1024 MB of reserve, 2 GB by default) and does
 *   bound Chromium: it counts what a process commits, not its reservations. Chromium launched and
 *   scanned pages from memoryMb 64 (1088 MB) up. A page allocating 64 MB ArrayBuffers stopped with
 *   "Array buffer allocation failed" after 10 of them at memoryMb 256 (renderer VmData peaked at
 *   925 MB), after 16 at 1024; its renderer then crashed, the page was recorded failing and the next
 *   page got a new renderer. With memoryMb 4096 the same page got all 3 GB: the limit is what held it.
 * - Chromium runs inside the sandbox unchanged (ro /, private /tmp, --dev /dev, no network but
 *   loopback). Run as root, as here and in most containers, it refuses to start without `--no-sandbox`
 *   ("Running as root without --no-sandbox is not supported"), in bwrap and out of it: bwrap is the
 *   isolation. HOME (crash reports), TMPDIR and the profile are in the invocation's scratch dir, the
 *   only writable place. Nothing had to change in sandbox.ts.
 *   The flags and why: `../chromium-launch.mjs` (shared with the dossier's PDF printer).
 * - Launch took 1.5-3.3 s on the 2-core machine (load average ~7); the launch timeout is 60 s.
 */

/** WCAG 2.0, 2.1 and 2.2 at levels A and AA, as axe tags them (2.2 added AA rules only). */
export const WCAG_AA_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] as const;

const MAX_PAGES = 20;
/** ~1.5 MB of PNG per page at most: a full page over that is replaced by the viewport alone. */
const SCREENSHOT_MAX_BYTES = 1_572_864;
const HTML_CHARS = 300;
const UNVISITED_LISTED = 50;
const START_ERROR_CHARS = 8 * 1024;

export const A11yCheckInput = z.object({
  /** The workspace commit the tool runs on, copied into the report. */
  commit: z.string().optional(),
  /** The axe tags to run. */
  standard: z
    .array(z.string().min(1))
    .min(1)
    .default([...WCAG_AA_TAGS]),
  maxPages: z.number().int().min(1).max(MAX_PAGES).default(MAX_PAGES),
  /** The whole invocation: app start, browser, every page. */
  timeoutMs: z.number().int().positive().default(180_000),
  memoryMb: z.number().int().positive().default(1024),
  /** How long the app may take to answer `GET /healthz` with 200. */
  healthTimeoutMs: z.number().int().positive().default(30_000),
});
export type A11yCheckInput = z.infer<typeof A11yCheckInput>;

const DRIVER = fileURLToPath(new URL('./a11y-check-driver.mjs', import.meta.url));
const requireHere = createRequire(import.meta.url);

/** The version of the axe-core the driver injects (it resolves from the same directory). */
export async function axeCoreVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(requireHere.resolve('axe-core/package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** `/` first, then the paths package.json lists under `ideamine.pages` (others ignored). */
export function seedPaths(pkg: Record<string, unknown>): string[] {
  const ideamine = pkg['ideamine'];
  const listed =
    ideamine !== null && typeof ideamine === 'object' ? (ideamine as { pages?: unknown }).pages : undefined;
  const pages = Array.isArray(listed)
    ? listed.filter((p): p is string => typeof p === 'string' && p.startsWith('/'))
    : [];
  return [...new Set(['/', ...pages])];
}

// --- Secrets: a snippet of a page's HTML may carry a token (a hidden input, a key in an attribute). ---

/** First 4 characters, an ellipsis and the length: enough to recognise, never the value. */
export function maskValue(value: string): string {
  return `${value.slice(0, 4)}…${value.length}`;
}

/** Known key prefixes; any long unbroken run of token characters (hex, base64url) is a candidate. */
const KEY_PREFIXED = /\b(?:sk|pk|rk)-[A-Za-z0-9_-]{12,}|\b(?:gh[pousr]_|xox[abprs]-|AKIA)[A-Za-z0-9_-]{8,}/g;
const LONG_TOKEN = /[A-Za-z0-9_-]{32,}/g;
const SECRET_INPUT = /<input\b[^>]*\btype\s*=\s*["']?(?:password|hidden)\b/i;
const VALUE_ATTRIBUTE = /(\bvalue\s*=\s*)(["'])(.*?)\2/gi;

/** A violating element's HTML for the report: secret-looking values masked, then cut to 300 characters. */
export function safeHtml(html: string): string {
  let out = html;
  if (SECRET_INPUT.test(out))
    out = out.replace(VALUE_ATTRIBUTE, (_, head: string, q: string, v: string) =>
      v.length === 0 ? `${head}${q}${q}` : `${head}${q}${maskValue(v)}${q}`,
    );
  out = out.replace(KEY_PREFIXED, (token) => maskValue(token));
  // Random keys mix letters and digits (a 32-character base64 one lacks a digit once in ~800); a long
  // BEM class name has no digit and stays readable.
  out = out.replace(LONG_TOKEN, (token) =>
    /\d/.test(token) && /[A-Za-z]/.test(token) ? maskValue(token) : token,
  );
  return out.slice(0, HTML_CHARS);
}

// --- The driver's result → the report. ---

const DriverViolation = z.object({
  id: z.string(),
  impact: AxeImpact.nullable(),
  help: z.string(),
  helpUrl: z.string(),
  tags: z.array(z.string()),
  nodes: z.number().int(),
  targets: z.array(z.string()),
  html: z.array(z.string()),
});

const DriverPage = z.object({
  path: z.string(),
  url: z.string(),
  status: z.number().int().nullable(),
  error: z.string().optional(),
  title: z.string().optional(),
  violations: z.array(DriverViolation),
  passes: z.number().int(),
  incomplete: z.number().int(),
  screenshot: z
    .object({
      mediaType: z.literal('image/png'),
      width: z.number().int(),
      height: z.number().int(),
      bytes: z.number().int(),
      base64: z.string(),
    })
    .optional(),
});

const DriverResult = z.union([
  z.object({ error: z.string() }),
  z.object({
    versions: z.object({ axeCore: z.string(), playwrightCore: z.string(), browser: z.string() }),
    baseUrl: z.string().nullable(),
    startError: z.string().optional(),
    pages: z.array(DriverPage),
    unvisited: z.object({ paths: z.array(z.string()), reason: z.string() }).optional(),
  }),
]);

function violationOf(v: z.infer<typeof DriverViolation>): AxeViolation {
  return {
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    tags: v.tags,
    nodes: v.nodes,
    targets: v.targets.slice(0, 5),
    ...(v.html.length > 0 ? { html: v.html.slice(0, 3).map(safeHtml) } : {}),
  };
}

function pageOf(p: z.infer<typeof DriverPage>): ScannedPage {
  return { ...p, violations: p.violations.map(violationOf) };
}

/** Violated rules × pages by impact (see `ViolationCounts` for why not elements). */
export function countViolations(pages: readonly ScannedPage[]): ViolationCounts {
  const counts: ViolationCounts = { critical: 0, serious: 0, moderate: 0, minor: 0 };
  for (const page of pages) for (const v of page.violations) if (v.impact !== null) counts[v.impact] += 1;
  return counts;
}

/**
 * What the driver keeps of the runner's timeout after its crawl budget: closing Chromium (up to 10 s)
 * and stopping the app (SIGTERM, SIGKILL after 5 s), then writing what it checked, so that a slow crawl
 * ends in a report rather than in a kill. 15-20 s; a timeout under 15 s leaves no budget for pages.
 */
function windDownMs(timeoutMs: number): number {
  return Math.min(20_000, Math.max(15_000, Math.floor(timeoutMs / 4)));
}

async function readDriverResult(
  scratchDir: string,
  result: ProcessResult,
): Promise<z.infer<typeof DriverResult>> {
  let text: string;
  try {
    text = await readFile(join(scratchDir, 'a11y-check.json'), 'utf8');
  } catch {
    const why = result.timedOut
      ? 'it timed out'
      : `exit code ${result.exitCode}${result.signal ? `, signal ${result.signal}` : ''}`;
    throw new Error(`the a11y-check driver wrote no result (${why})\n${result.stderr}`.trim());
  }
  return DriverResult.parse(JSON.parse(text));
}

export const a11yCheck: Tool<A11yCheckInput, AccessibilityScan> = {
  id: 'a11y-check',
  version: () => axeCoreVersion(),
  input: A11yCheckInput,
  output: AccessibilityScan,
  async plan(input, ctx) {
    const chromium = await locateChromium(toolPath(ctx.nodePath));
    if (chromium === undefined)
      throw new ChromiumNotInstalledError(`${CHROMIUM_PATH} and ${HEADLESS_SHELL} on PATH`);
    const pkg = await readPackageJson(ctx.workspace);
    const spec = {
      kind: productKind(pkg),
      start: startCommand(pkg),
      healthTimeoutMs: input.healthTimeoutMs,
      chromium,
      standard: input.standard,
      seeds: seedPaths(pkg),
      maxPages: input.maxPages,
      budgetMs: input.timeoutMs - windDownMs(input.timeoutMs),
      launchTimeoutMs: 60_000,
      navigationTimeoutMs: 30_000,
      settleTimeoutMs: 5_000,
      axeTimeoutMs: 60_000,
      screenshotMaxBytes: SCREENSHOT_MAX_BYTES,
    };
    return {
      ...nodeDriverPlan(DRIVER, ctx, spec, input),
      // Chromium reserves ~53 GB (browser) to ~1.5 TB (renderer) of address space: see the top comment.
      addressSpace: 'unbounded',
    };
  },
  reports: (output) => [{ type: 'AccessibilityScan', content: output }],
  async parse(result, input, ctx) {
    const driven = await readDriverResult(ctx.scratchDir, result);
    if ('error' in driven) throw new Error(`the accessibility check failed: ${driven.error}`);
    const pages = driven.pages.map(pageOf);
    const unvisited = driven.unvisited;
    return {
      tool: ctx.ref,
      versions: driven.versions,
      ...(input.commit !== undefined ? { commit: input.commit } : {}),
      baseUrl: driven.baseUrl,
      ...(driven.startError !== undefined
        ? { startError: driven.startError.slice(0, START_ERROR_CHARS) }
        : {}),
      standard: input.standard,
      pages,
      ...(unvisited && unvisited.paths.length > 0
        ? {
            unvisited: {
              count: unvisited.paths.length,
              paths: unvisited.paths.slice(0, UNVISITED_LISTED),
              reason: unvisited.reason,
            },
          }
        : {}),
      counts: countViolations(pages),
    };
  },
};
