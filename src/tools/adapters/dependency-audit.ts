import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { resolveNpmRegistryConfig, sanitizeRegistry } from '../../config/npm-registry.ts';
import {
  type AuditAdvisory,
  AuditSeverity,
  type DependencyAudit,
  DependencyAudit as DependencyAuditSchema,
} from '../../core/schemas/security-reports.ts';
import type { Tool } from '../tool.ts';
import { packageBin, packageVersion } from './installed-packages.ts';
import { nodeDriverPlan, WorkspaceToolInput } from './node-driver.ts';
import { npmRegistryEnv } from './npm-env.ts';

/**
 * `dependency-audit`: `npm audit --json` (the pinned npm) on a copy of the workspace's package.json
 * and lock file in the scratch dir; without a lock file, npm resolves one there first. The only tool
 * that keeps the network (`ToolPlan.network`): the advisories come from the registry's audit endpoint.
 * The registry and CA bundle are the user's npm settings (`config/npm-registry.ts`, never credentials)
 * unless the input names a registry.
 *
 * When npm cannot make the audit (the registry or its audit endpoint does not answer, the tree cannot
 * be resolved) the report is `not-run` with npm's error code and message: nothing was measured, and
 * the gate must not read it as "no advisories". A crash or a timeout is no report at all.
 */

export const DependencyAuditInput = WorkspaceToolInput.extend({
  /** The registry to ask (http/https; credentials are dropped). Default: the user's npm registry. */
  registry: z
    .string()
    .refine((value) => sanitizeRegistry(value) !== undefined, 'registry must be an http(s) URL')
    .optional(),
  /** A CA bundle for the registry's TLS certificate (absolute path). Default: the user's npm cafile. */
  cafile: z.string().startsWith('/').optional(),
});
export type DependencyAuditInput = z.infer<typeof DependencyAuditInput>;

const DRIVER = fileURLToPath(new URL('./dependency-audit-driver.mjs', import.meta.url));

const NpmErrorOutcome = z.object({ step: z.string(), code: z.string(), summary: z.string() });

/** `npm audit --json`, report version 2 (npm ≥ 7): the fields the report reads. */
const AuditVia = z.union([
  z.string(),
  z.looseObject({
    source: z.number().optional(),
    name: z.string(),
    title: z.string().optional(),
    url: z.string().optional(),
    severity: AuditSeverity,
    range: z.string().optional(),
  }),
]);
const NpmAuditReport = z.looseObject({
  auditReportVersion: z.literal(2),
  vulnerabilities: z.record(
    z.string(),
    z.looseObject({
      name: z.string(),
      severity: AuditSeverity,
      via: z.array(AuditVia),
      range: z.string().optional(),
    }),
  ),
  metadata: z.looseObject({
    vulnerabilities: z.object({
      critical: z.number().int().min(0),
      high: z.number().int().min(0),
      moderate: z.number().int().min(0),
      low: z.number().int().min(0),
      info: z.number().int().min(0),
    }),
    dependencies: z.looseObject({ total: z.number().int().min(0) }),
  }),
});
type NpmAuditReport = z.infer<typeof NpmAuditReport>;

const DriverResult = z.union([
  z.object({ error: z.string() }),
  z.object({ notRun: NpmErrorOutcome }),
  z.object({ lockFile: z.string(), lockGenerated: z.boolean(), report: z.unknown() }),
]);

/**
 * One entry per advisory that applies to a package (npm's `via` objects), and one per package that is
 * vulnerable only through its dependencies (npm's `via` names), with those names.
 */
export function advisoriesOf(report: NpmAuditReport): AuditAdvisory[] {
  const advisories: AuditAdvisory[] = [];
  for (const vulnerability of Object.values(report.vulnerabilities)) {
    const seen = new Set<string>();
    const through: string[] = [];
    for (const via of vulnerability.via) {
      if (typeof via === 'string') {
        through.push(via);
        continue;
      }
      const key = via.url ?? String(via.source ?? via.title);
      if (seen.has(key)) continue;
      seen.add(key);
      advisories.push({
        name: vulnerability.name,
        severity: via.severity,
        title: via.title ?? `advisory ${via.source ?? ''}`.trim(),
        ...(via.url !== undefined ? { url: via.url } : {}),
        ...(via.range ? { range: via.range } : {}),
      });
    }
    if (through.length > 0) {
      advisories.push({
        name: vulnerability.name,
        severity: vulnerability.severity,
        title: `depends on vulnerable ${through.join(', ')}`,
        ...(vulnerability.range ? { range: vulnerability.range } : {}),
        via: through,
      });
    }
  }
  return advisories;
}

const ZERO = { critical: 0, high: 0, moderate: 0, low: 0, info: 0 };

export const dependencyAudit: Tool<DependencyAuditInput, DependencyAudit> = {
  id: 'dependency-audit',
  version: () => packageVersion('npm'),
  input: DependencyAuditInput,
  output: DependencyAuditSchema,
  async plan(input, ctx) {
    const user = await resolveNpmRegistryConfig();
    const registry = input.registry !== undefined ? sanitizeRegistry(input.registry) : user.registry;
    const cafile = input.cafile ?? user.cafile;
    const spec = { workspace: ctx.workspace, npmCli: await packageBin('npm', 'npm') };
    return {
      ...nodeDriverPlan(DRIVER, ctx, spec, input),
      env: npmRegistryEnv({
        ...(registry !== undefined ? { registry } : {}),
        ...(cafile !== undefined ? { cafile } : {}),
      }),
      network: true,
      // Only the scratch dir is writable: the workspace is read, never changed.
      writableDirs: [],
    };
  },
  reports: (output) => [{ type: 'DependencyAudit', content: output }],
  async parse(result, input, ctx) {
    let text: string;
    try {
      text = await readFile(join(ctx.scratchDir, 'dependency-audit.json'), 'utf8');
    } catch {
      const why = result.timedOut
        ? 'it timed out'
        : `exit code ${result.exitCode}${result.signal ? `, signal ${result.signal}` : ''}`;
      throw new Error(`the dependency-audit driver wrote no result (${why})\n${result.stderr}`.trim());
    }
    const driven = DriverResult.parse(JSON.parse(text));
    if ('error' in driven) throw new Error(`the dependency audit failed: ${driven.error}`);
    if (result.timedOut) throw new Error('the dependency audit timed out');
    const base = {
      tool: ctx.ref,
      versions: { npm: await packageVersion('npm'), node: ctx.nodeVersion },
      ...(input.commit !== undefined ? { commit: input.commit } : {}),
    };
    if ('notRun' in driven) {
      const { step, code, summary } = driven.notRun;
      return {
        ...base,
        status: 'not-run',
        reason: `${step} failed (${code}): ${summary}`,
        dependencies: 0,
        counts: { ...ZERO },
        advisories: [],
      };
    }
    const report = NpmAuditReport.parse(driven.report);
    const { critical, high, moderate, low, info } = report.metadata.vulnerabilities;
    return {
      ...base,
      status: 'ran',
      dependencies: report.metadata.dependencies.total,
      counts: { critical, high, moderate, low, info },
      advisories: advisoriesOf(report),
    };
  },
};
