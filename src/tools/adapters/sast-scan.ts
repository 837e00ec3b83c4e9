import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  type SastSeverity,
  type StaticAnalysis,
  StaticAnalysis as StaticAnalysisSchema,
} from '../../core/schemas/security-reports.ts';
import type { Tool } from '../tool.ts';
import { packageVersion } from './installed-packages.ts';
import { nodeDriverPlan, WorkspaceToolInput } from './node-driver.ts';

/**
 * `sast-scan`: ESLint with eslint-plugin-security's recommended rules plus core `no-eval`,
 * `no-implied-eval` and `no-new-func`, over the workspace's `src/` and `test/` (recursively) and
 * `public/*.js`, as ES modules of the latest ECMAScript with Node's globals (`.cjs` as CommonJS). The
 * configuration is built by the driver, never looked up in the workspace, and inline `eslint-disable`
 * comments are ignored. ESLint's own warn/error levels mean nothing here: each rule's severity comes
 * from `SAST_SEVERITY`.
 */

/**
 * The severity of each rule's findings. The gate counts high and critical.
 * | severity | rules | why |
 * |---|---|---|
 * | high | no-eval, no-implied-eval, no-new-func, detect-eval-with-expression | code built from strings runs |
 * | high | detect-child-process, detect-non-literal-require | a process or module chosen at run time |
 * | high | detect-unsafe-regex | catastrophic backtracking: one request can hold the event loop |
 * | high | detect-pseudoRandomBytes, detect-buffer-noassert, detect-new-buffer | weak randomness, unchecked or uninitialised memory |
 * | high | detect-disable-mustache-escape, detect-no-csrf-before-method-override | XSS, CSRF bypass |
 * | high | detect-bidi-characters, detect-invisible-characters | Trojan Source: code that reads differently than it runs |
 * | medium | detect-non-literal-fs-filename, detect-non-literal-regexp, detect-possible-timing-attacks | often legitimate (a configured data file, an escaped search term); worth a look |
 * | low | detect-object-injection | flags nearly every `obj[key]`: too noisy to gate on |
 * A rule missing from the table counts as high (fail closed); the tests keep the table complete.
 */
export const SAST_SEVERITY: Readonly<Record<string, SastSeverity>> = {
  'no-eval': 'high',
  'no-implied-eval': 'high',
  'no-new-func': 'high',
  'security/detect-eval-with-expression': 'high',
  'security/detect-child-process': 'high',
  'security/detect-non-literal-require': 'high',
  'security/detect-unsafe-regex': 'high',
  'security/detect-pseudoRandomBytes': 'high',
  'security/detect-buffer-noassert': 'high',
  'security/detect-new-buffer': 'high',
  'security/detect-disable-mustache-escape': 'high',
  'security/detect-no-csrf-before-method-override': 'high',
  'security/detect-bidi-characters': 'high',
  'security/detect-invisible-characters': 'high',
  'security/detect-non-literal-fs-filename': 'medium',
  'security/detect-non-literal-regexp': 'medium',
  'security/detect-possible-timing-attacks': 'medium',
  'security/detect-object-injection': 'low',
};

const CORE_RULES = ['no-eval', 'no-implied-eval', 'no-new-func'] as const;

const requireHere = createRequire(import.meta.url);

/** The rules the scan enables: eslint-plugin-security's recommended set and the three core rules. */
export function enabledRules(): string[] {
  const plugin = requireHere('eslint-plugin-security') as {
    configs: { recommended: { rules: Record<string, unknown> } };
  };
  return [...CORE_RULES, ...Object.keys(plugin.configs.recommended.rules)];
}

export function severityOf(rule: string): SastSeverity {
  return SAST_SEVERITY[rule] ?? 'high';
}

export const SastScanInput = WorkspaceToolInput;
export type SastScanInput = z.infer<typeof SastScanInput>;

const INLINE_CONFIG_IGNORED = /has no effect because you have 'noInlineConfig' setting/;

const DRIVER = fileURLToPath(new URL('./sast-scan-driver.mjs', import.meta.url));

const DriverResult = z.union([
  z.object({ error: z.string() }),
  z.object({
    eslintVersion: z.string().optional(),
    filesScanned: z.number().int().min(0),
    messages: z.array(
      z.object({
        file: z.string(),
        rule: z.string().nullable(),
        fatal: z.boolean(),
        line: z.number().int().optional(),
        column: z.number().int().optional(),
        message: z.string(),
      }),
    ),
  }),
]);

export const sastScan: Tool<SastScanInput, StaticAnalysis> = {
  id: 'sast-scan',
  version: () => packageVersion('eslint'),
  input: SastScanInput,
  output: StaticAnalysisSchema,
  plan(input, ctx) {
    const spec = { workspace: ctx.workspace, rules: enabledRules() };
    // Only the scratch dir is writable: the scan never changes the workspace.
    return { ...nodeDriverPlan(DRIVER, ctx, spec, input), writableDirs: [] };
  },
  reports: (output) => [{ type: 'StaticAnalysis', content: output }],
  async parse(result, input, ctx) {
    let text: string;
    try {
      text = await readFile(join(ctx.scratchDir, 'sast-scan.json'), 'utf8');
    } catch {
      const why = result.timedOut
        ? 'it timed out'
        : `exit code ${result.exitCode}${result.signal ? `, signal ${result.signal}` : ''}`;
      throw new Error(`the sast-scan driver wrote no result (${why})\n${result.stderr}`.trim());
    }
    const driven = DriverResult.parse(JSON.parse(text));
    if ('error' in driven) throw new Error(`ESLint failed: ${driven.error}`);
    if (result.timedOut) throw new Error('the static analysis timed out');
    const findings: StaticAnalysis['findings'] = [];
    const parseErrors: StaticAnalysis['parseErrors'] = [];
    for (const m of driven.messages) {
      // ESLint's notice that an inline `eslint-disable` was ignored (noInlineConfig) is no finding.
      if (m.rule === null && !m.fatal && INLINE_CONFIG_IGNORED.test(m.message)) continue;
      // Any other message without a rule is ESLint's own: a file that did not parse (or was not linted).
      if (m.rule === null || m.fatal) {
        parseErrors.push({
          file: m.file,
          ...(m.line !== undefined ? { line: m.line } : {}),
          message: m.message,
        });
        continue;
      }
      findings.push({
        rule: m.rule,
        file: m.file,
        line: Math.max(1, m.line ?? 1),
        column: Math.max(1, m.column ?? 1),
        message: m.message,
        severity: severityOf(m.rule),
      });
    }
    return {
      tool: ctx.ref,
      versions: {
        eslint: driven.eslintVersion ?? (await packageVersion('eslint')),
        'eslint-plugin-security': await packageVersion('eslint-plugin-security'),
        globals: await packageVersion('globals'),
        node: ctx.nodeVersion,
      },
      ...(input.commit !== undefined ? { commit: input.commit } : {}),
      filesScanned: driven.filesScanned,
      findings,
      parseErrors,
    };
  },
};
