import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ToolFailedError } from '../errors.ts';
import { runTool } from '../runner.ts';
import { probeSandbox } from '../sandbox.ts';
import { collectingRecorder, writeProject } from './fixtures.test-support.ts';
import { git, gitWorkspace } from './git-fixtures.test-support.ts';
import { type SbomInput, sbom } from './sbom.ts';

const sandbox = await probeSandbox();
const sandboxed = sandbox.kind === 'bwrap' || process.env['CI'] === 'true';
const TIMEOUT = 120_000;

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function generate(workspace: string, input: Partial<SbomInput> = {}) {
  const recorder = collectingRecorder();
  const run = await runTool(sbom, input, { workspace, allowlist: ['sbom'], recorder });
  if (sandboxed) expect(run.invocation.sandbox.kind).toBe('bwrap');
  expect(run.invocation.network).toBeUndefined();
  expect(recorder.invocations).toEqual([run.invocation]);
  return run.output;
}

const PACKAGE = {
  name: 'nested-app',
  version: '3.1.0',
  dependencies: { mkdirp: '0.5.1', minimist: '1.2.8', '@tootallnate/once': '2.0.0' },
  devDependencies: { lodash: '4.17.20' },
};

/** The lock file npm 11 resolved for PACKAGE from the registry: mkdirp keeps its own, older minimist. */
const LOCK = {
  name: 'nested-app',
  version: '3.1.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': {
      name: 'nested-app',
      version: '3.1.0',
      dependencies: { '@tootallnate/once': '2.0.0', minimist: '1.2.8', mkdirp: '0.5.1' },
      devDependencies: { lodash: '4.17.20' },
    },
    'node_modules/@tootallnate/once': {
      version: '2.0.0',
      resolved: 'https://registry.npmjs.org/@tootallnate/once/-/once-2.0.0.tgz',
      integrity:
        'sha512-XCuKFP5PS55gnMVu3dty8KPatLqUoy/ZYzDzAGCQ8JNFCkLXzmI7vNHCR+XpbZaMWQK/vQubr7PkYq8g470J/A==',
      license: 'MIT',
      engines: { node: '>= 10' },
    },
    'node_modules/lodash': {
      version: '4.17.20',
      resolved: 'https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz',
      integrity:
        'sha512-PlhdFcillOINfeV7Ni6oF1TAEayyZBoZ8bcshTHqOYJYlrqzRK5hagpagky5o4HfCzzd1TRkXPMFq6cKk9rGmA==',
      dev: true,
      license: 'MIT',
    },
    'node_modules/minimist': {
      version: '1.2.8',
      resolved: 'https://registry.npmjs.org/minimist/-/minimist-1.2.8.tgz',
      integrity:
        'sha512-2yyAR8qBkN3YuheJanUpWC5U3bb5osDywNB8RzDVlDwDHbocAJveqqj1u8+SVD7jkWT4yvsHCpWqqWqAxb0zCA==',
      license: 'MIT',
      funding: { url: 'https://github.com/sponsors/ljharb' },
    },
    'node_modules/mkdirp': {
      version: '0.5.1',
      resolved: 'https://registry.npmjs.org/mkdirp/-/mkdirp-0.5.1.tgz',
      integrity:
        'sha512-SknJC52obPfGQPnjIkXbmA6+5H15E+fR+E4iR2oQ3zzCLbd7/ONua69R/Gw7AgkTLsRG+r5fzksYwWe1AgTyWA==',
      license: 'MIT',
      dependencies: { minimist: '0.0.8' },
      bin: { mkdirp: 'bin/cmd.js' },
    },
    'node_modules/mkdirp/node_modules/minimist': {
      version: '0.0.8',
      resolved: 'https://registry.npmjs.org/minimist/-/minimist-0.0.8.tgz',
      integrity:
        'sha512-miQKw5Hv4NS1Psg2517mV4e4dYNaO3++hjAvLOAzKqZ61rH8NS1SK+vbfBWZ5PY/Me/bEWhUwqMghEW5Fb9T7Q==',
      license: 'MIT',
    },
  },
};

describe('sbom', () => {
  it(
    'writes a CycloneDX SBOM of the locked tree: scoped names, nested packages, licenses and purls',
    async () => {
      const { dir, first } = await gitWorkspace({
        'package.json': JSON.stringify(PACKAGE, null, 2),
        'package-lock.json': JSON.stringify(LOCK, null, 2),
      });
      dirs.push(dir);
      const report = await generate(dir, { commit: first });
      expect(report.tool).toBe('sbom@6.0.1');
      expect(report.versions).toMatchObject({ '@cyclonedx/cyclonedx-npm': '6.0.1', npm: '11.19.1' });
      expect(report).toMatchObject({ format: 'CycloneDX', specVersion: '1.6', commit: first });
      expect(report.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      expect(report.root).toEqual({ name: 'nested-app', version: '3.1.0' });
      expect(report.componentCount).toBe(5);
      expect(
        report.components.map((c) => `${c.name}@${c.version} ${c.purl} ${c.licenses.join(',')}`).sort(),
      ).toEqual([
        '@tootallnate/once@2.0.0 pkg:npm/%40tootallnate/once@2.0.0 MIT',
        'lodash@4.17.20 pkg:npm/lodash@4.17.20 MIT',
        'minimist@0.0.8 pkg:npm/minimist@0.0.8 MIT',
        'minimist@1.2.8 pkg:npm/minimist@1.2.8 MIT',
        'mkdirp@0.5.1 pkg:npm/mkdirp@0.5.1 MIT',
      ]);
      // The document itself: nesting kept (minimist 0.0.8 under mkdirp), as cyclonedx-npm wrote it.
      const bom = report.bom as {
        bomFormat: string;
        metadata: { component: { name: string } };
        components: Array<{ name: string; components?: Array<{ name: string; version: string }> }>;
      };
      expect(bom.bomFormat).toBe('CycloneDX');
      expect(bom.metadata.component.name).toBe('nested-app');
      expect(bom.components).toHaveLength(4);
      expect(bom.components.find((c) => c.name === 'mkdirp')?.components).toEqual([
        expect.objectContaining({ name: 'minimist', version: '0.0.8' }),
      ]);
      // The workspace was read, not changed: no node_modules, no new files.
      expect(git(dir, ['status', '--porcelain', '--ignored'])).toBe('');
    },
    TIMEOUT,
  );

  it(
    'writes an SBOM with zero components for an app without dependencies and without a lock file',
    async () => {
      const { dir } = await gitWorkspace({
        'package.json': JSON.stringify({
          name: 'plain-app',
          version: '0.1.0',
          type: 'module',
          private: true,
        }),
        'src/app.js': 'export {};\n',
      });
      dirs.push(dir);
      const report = await generate(dir);
      expect(report).toMatchObject({
        root: { name: 'plain-app', version: '0.1.0' },
        componentCount: 0,
        components: [],
      });
      expect((report.bom as { bomFormat: string }).bomFormat).toBe('CycloneDX');
      expect(git(dir, ['status', '--porcelain', '--ignored'])).toBe('');
    },
    TIMEOUT,
  );

  it(
    'fails with npm’s reason when dependencies have no lock file (it runs offline), and without package.json',
    async () => {
      const dir = await writeProject({ 'package.json': JSON.stringify(PACKAGE) });
      dirs.push(dir);
      const unlocked = await generate(dir).catch((e: unknown) => e);
      expect(unlocked).toBeInstanceOf(ToolFailedError);
      expect((unlocked as Error).message).toMatch(/no lock file .* offline \(ENOTCACHED\)/);

      const empty = await writeProject({ 'README.md': '# nothing\n' });
      dirs.push(empty);
      const missing = await generate(empty).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(ToolFailedError);
      expect((missing as Error).message).toMatch(/no package\.json/);
    },
    TIMEOUT,
  );

  it(
    'fails when cyclonedx-npm rejects the tree (a lock file that does not match package.json)',
    async () => {
      const dir = await writeProject({
        'package.json': JSON.stringify({
          ...PACKAGE,
          dependencies: { ...PACKAGE.dependencies, chalk: '5.3.0' },
        }),
        'package-lock.json': JSON.stringify(LOCK),
      });
      dirs.push(dir);
      const error = await generate(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ToolFailedError);
      expect((error as Error).message).toMatch(/cyclonedx-npm failed/);
    },
    TIMEOUT,
  );

  it(
    'fails on a timeout',
    async () => {
      const dir = await writeProject({ 'package.json': '{"name":"x","version":"1.0.0"}' });
      dirs.push(dir);
      const error = await generate(dir, { timeoutMs: 20 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ToolFailedError);
      expect((error as Error).message).toMatch(/timed out/);
    },
    TIMEOUT,
  );
});
