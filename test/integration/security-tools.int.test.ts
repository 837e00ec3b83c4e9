import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildInputFor, FIXTURE_IDEAS } from '../../src/agents/build/app/fixtures.ts';
import { generateApp } from '../../src/agents/build/app/generate.ts';
import { appSpecFrom } from '../../src/agents/build/app/spec.ts';
import { dependencyAudit } from '../../src/tools/adapters/dependency-audit.ts';
import { collectingRecorder, writeProject } from '../../src/tools/adapters/fixtures.test-support.ts';
import { git } from '../../src/tools/adapters/git-fixtures.test-support.ts';
import { sastScan } from '../../src/tools/adapters/sast-scan.ts';
import { sbom } from '../../src/tools/adapters/sbom.ts';
import { secretScan } from '../../src/tools/adapters/secret-scan.ts';
import { runTool } from '../../src/tools/runner.ts';
import { probeSandbox } from '../../src/tools/sandbox.ts';

/**
 * The four security tools on what the build phase really produces: the offline generator's app for
 * each fixture idea, committed to a git repository as the run's workspace is. A generated app must
 * pass the security gate on its own: no secret, no high static finding, an SBOM, an audit.
 */

const sandbox = await probeSandbox();
const sandboxed = sandbox.kind === 'bwrap' || process.env['CI'] === 'true';
const ALLOWLIST = ['secret-scan', 'sast-scan', 'dependency-audit', 'sbom'];
const TIMEOUT = 300_000;

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function generatedWorkspace(idea: (typeof FIXTURE_IDEAS)[keyof typeof FIXTURE_IDEAS]) {
  const files = generateApp(appSpecFrom(buildInputFor(idea)));
  const dir = await writeProject({});
  dirs.push(dir);
  for (const file of files) {
    await mkdir(dirname(join(dir, file.path)), { recursive: true });
    await writeFile(join(dir, file.path), file.content);
  }
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['add', '-A']);
  git(dir, [
    '-c',
    'user.name=build',
    '-c',
    'user.email=build@ideamine.invalid',
    'commit',
    '-q',
    '-m',
    'build',
  ]);
  return { dir, files, commit: git(dir, ['rev-parse', 'HEAD']) };
}

describe('security tools on generated apps', () => {
  it.each(Object.keys(FIXTURE_IDEAS) as (keyof typeof FIXTURE_IDEAS)[])(
    '%s: no secrets, no high static findings, an SBOM of the app, an audit',
    async (key) => {
      const { dir, files, commit } = await generatedWorkspace(FIXTURE_IDEAS[key]);
      const recorder = collectingRecorder();
      const options = { workspace: dir, allowlist: ALLOWLIST, recorder };

      const secrets = await runTool(secretScan, { commit }, options);
      expect(secrets.output.findings).toEqual([]);
      expect(secrets.output.scanned).toEqual({ files: files.length, historyBlobs: 0 });

      const sast = await runTool(sastScan, { commit }, options);
      const scripts = files.filter((f) =>
        /^(src|test)\/.*\.(m|c)?js$|^public\/[^/]+\.(m|c)?js$/.test(f.path),
      );
      expect(sast.output.filesScanned).toBe(scripts.length);
      expect(sast.output.parseErrors).toEqual([]);
      const high = sast.output.findings.filter((f) => f.severity === 'high' || f.severity === 'critical');
      expect(high.map((f) => `${f.file}:${f.line} ${f.rule}: ${f.message}`)).toEqual([]);

      const bom = await runTool(sbom, { commit }, options);
      const pkg = JSON.parse(files.find((f) => f.path === 'package.json')!.content) as {
        name: string;
        version: string;
        dependencies?: Record<string, string>;
      };
      expect(bom.output.root).toEqual({ name: pkg.name, version: pkg.version });
      expect(bom.output.componentCount).toBe(Object.keys(pkg.dependencies ?? {}).length);

      const audit = await runTool(dependencyAudit, { commit }, options);
      if (audit.output.status === 'ran') expect(audit.output.dependencies).toBe(0);
      else expect(audit.output.reason).toMatch(/failed \(E[A-Z0-9_]+\): /);

      for (const invocation of recorder.invocations) {
        if (sandboxed) expect(invocation.sandbox.kind).toBe('bwrap');
        expect(invocation.error).toBeUndefined();
      }
      // Nothing the tools did changed the workspace.
      expect(git(dir, ['status', '--porcelain', '--ignored'])).toBe('');
      const bySeverity = (s: string) => sast.output.findings.filter((f) => f.severity === s).length;
      console.info(
        `${key}: ${secrets.output.scanned.files} files, ${secrets.output.findings.length} secrets; ` +
          `${sast.output.filesScanned} scripts, static findings high ${high.length} / medium ${bySeverity('medium')} / low ${bySeverity('low')}; ` +
          `SBOM ${bom.output.root.name}@${bom.output.root.version} with ${bom.output.componentCount} components; ` +
          `audit ${audit.output.status}${audit.output.reason ? ` (${audit.output.reason})` : ''}, ${audit.output.dependencies} dependencies; ` +
          `durations ${recorder.invocations.map((i) => `${i.toolId} ${i.durationMs} ms`).join(', ')}`,
      );
    },
    TIMEOUT,
  );
});
