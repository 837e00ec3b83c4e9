import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { type Sbom, type SbomComponent, Sbom as SbomSchema } from '../../core/schemas/security-reports.ts';
import type { Tool } from '../tool.ts';
import { packageBin, packageVersion } from './installed-packages.ts';
import { nodeDriverPlan, WorkspaceToolInput } from './node-driver.ts';
import { npmOfflineEnv } from './npm-env.ts';

/**
 * `sbom`: a CycloneDX (JSON, spec 1.6) SBOM of the workspace's dependency tree by
 * `@cyclonedx/cyclonedx-npm`, which runs `npm ls` with the pinned npm. npm works on a copy of
 * package.json and the lock file in the scratch dir, so the tree is the locked one (node_modules is
 * neither needed nor read). A workspace without a lock file gets one resolved in the copy, offline:
 * that works for an app without dependencies (the generated apps) and fails, with npm's reason, for
 * one with dependencies, since this tool has no network; commit the lock file.
 */

export const SbomInput = WorkspaceToolInput;
export type SbomInput = z.infer<typeof SbomInput>;

const DRIVER = fileURLToPath(new URL('./sbom-driver.mjs', import.meta.url));
const CYCLONEDX = '@cyclonedx/cyclonedx-npm';
const SPEC_VERSION = '1.6';

const DriverResult = z.union([
  z.object({ error: z.string() }),
  z.object({ bomFile: z.string(), lockFile: z.string(), lockGenerated: z.boolean() }),
]);

interface CdxComponent {
  name: string;
  group?: string | undefined;
  version?: string | undefined;
  purl?: string | undefined;
  scope?: string | undefined;
  licenses?:
    | Array<{
        license?: { id?: string | undefined; name?: string | undefined } | undefined;
        expression?: string | undefined;
      }>
    | undefined;
  components?: CdxComponent[] | undefined;
}

const CdxComponentSchema: z.ZodType<CdxComponent> = z.lazy(() =>
  z.looseObject({
    name: z.string().min(1),
    group: z.string().optional(),
    version: z.string().optional(),
    purl: z.string().optional(),
    scope: z.string().optional(),
    licenses: z
      .array(
        z.looseObject({
          license: z.looseObject({ id: z.string().optional(), name: z.string().optional() }).optional(),
          expression: z.string().optional(),
        }),
      )
      .optional(),
    components: z.array(CdxComponentSchema).optional(),
  }),
);

/** The parts of a CycloneDX JSON document the report reads; the rest is kept as it is. */
const CdxBom = z.looseObject({
  bomFormat: z.literal('CycloneDX'),
  specVersion: z.string().min(1),
  serialNumber: z.string().optional(),
  metadata: z.looseObject({ component: CdxComponentSchema }),
  components: z.array(CdxComponentSchema).optional(),
});

const fullName = (c: CdxComponent): string => (c.group ? `${c.group}/${c.name}` : c.name);

/** The component tree, depth first, nested components included. */
export function flattenComponents(components: readonly CdxComponent[]): SbomComponent[] {
  const flat: SbomComponent[] = [];
  const visit = (c: CdxComponent): void => {
    const licenses = (c.licenses ?? [])
      .map((l) => l.license?.id ?? l.license?.name ?? l.expression)
      .filter((l): l is string => l !== undefined);
    flat.push({
      name: fullName(c),
      version: c.version ?? '',
      ...(c.purl !== undefined ? { purl: c.purl } : {}),
      licenses,
      ...(c.scope !== undefined ? { scope: c.scope } : {}),
    });
    for (const child of c.components ?? []) visit(child);
  };
  for (const c of components) visit(c);
  return flat;
}

export const sbom: Tool<SbomInput, Sbom> = {
  id: 'sbom',
  version: () => packageVersion(CYCLONEDX),
  input: SbomInput,
  output: SbomSchema,
  async plan(input, ctx) {
    const spec = {
      workspace: ctx.workspace,
      npmCli: await packageBin('npm', 'npm'),
      cyclonedxCli: await packageBin(CYCLONEDX),
      specVersion: SPEC_VERSION,
    };
    return {
      ...nodeDriverPlan(DRIVER, ctx, spec, input),
      env: npmOfflineEnv(),
      // Only the scratch dir is writable: the workspace is read, never changed.
      writableDirs: [],
    };
  },
  reports: (output) => [{ type: 'Sbom', content: output }],
  async parse(result, input, ctx) {
    let text: string;
    try {
      text = await readFile(join(ctx.scratchDir, 'sbom.json'), 'utf8');
    } catch {
      const why = result.timedOut
        ? 'it timed out'
        : `exit code ${result.exitCode}${result.signal ? `, signal ${result.signal}` : ''}`;
      throw new Error(`the sbom driver wrote no result (${why})\n${result.stderr}`.trim());
    }
    const driven = DriverResult.parse(JSON.parse(text));
    if ('error' in driven) throw new Error(`the SBOM could not be generated: ${driven.error}`);
    if (result.timedOut) throw new Error('the SBOM generation timed out');
    const document: unknown = JSON.parse(await readFile(driven.bomFile, 'utf8'));
    const bom = CdxBom.parse(document);
    const components = flattenComponents(bom.components ?? []);
    const root = bom.metadata.component;
    return {
      tool: ctx.ref,
      versions: {
        [CYCLONEDX]: await packageVersion(CYCLONEDX),
        npm: await packageVersion('npm'),
        node: ctx.nodeVersion,
      },
      ...(input.commit !== undefined ? { commit: input.commit } : {}),
      format: 'CycloneDX',
      specVersion: bom.specVersion,
      ...(bom.serialNumber !== undefined ? { serialNumber: bom.serialNumber } : {}),
      root: { name: fullName(root), version: root.version ?? '' },
      componentCount: components.length,
      components,
      bom: document,
    };
  },
};
