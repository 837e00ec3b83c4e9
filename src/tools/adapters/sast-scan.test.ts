import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { ToolFailedError } from '../errors.ts';
import { runTool } from '../runner.ts';
import { probeSandbox } from '../sandbox.ts';
import { collectingRecorder, writeProject } from './fixtures.test-support.ts';
import { enabledRules, SAST_SEVERITY, type SastScanInput, sastScan } from './sast-scan.ts';

const sandbox = await probeSandbox();
const sandboxed = sandbox.kind === 'bwrap' || process.env['CI'] === 'true';
const TIMEOUT = 120_000;

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function scan(files: Record<string, string>, input: Partial<SastScanInput> = {}) {
  const workspace = await writeProject(files);
  dirs.push(workspace);
  const recorder = collectingRecorder();
  const run = await runTool(sastScan, input, { workspace, allowlist: ['sast-scan'], recorder });
  if (sandboxed) expect(run.invocation.sandbox.kind).toBe('bwrap');
  expect(recorder.invocations).toEqual([run.invocation]);
  return run.output;
}

const RISKY: Record<string, string> = {
  'package.json': '{"name":"risky","version":"1.0.0","type":"module"}\n',
  // The workspace's own config and inline comments try to switch rules off: neither may count.
  'eslint.config.js': "export default [{ rules: { 'no-eval': 'off' } }];\n",
  'src/run.js': `import { exec } from 'node:child_process';
export function run(command) {
  exec(command);
}
export function calc(expression) {
  // eslint-disable-next-line no-eval
  return eval(expression);
}
`,
  'src/store.js': `/* eslint-disable */
import { readFileSync } from 'node:fs';
export function load(path, key) {
  const data = JSON.parse(readFileSync(path, 'utf8'));
  return data[key];
}
export const slow = /^(a+)+$/;
`,
  'src/legacy.cjs': 'module.exports = (name) => require(name);\n',
  'src/broken.js': 'export function (\n',
  'test/calc.test.js': "const add = new Function('a', 'b', 'return a + b');\nexport default add;\n",
  'public/app.js': "setTimeout('refresh()', 1000);\n",
  'public/vendor/lib.js': 'eval(window.name);\n', // only public/*.js is scanned
  'src/node_modules/dep/index.js': 'eval(process.argv[2]);\n',
  'scripts/build.js': 'eval(process.argv[2]);\n', // outside src/, test/ and public/
};

describe('sast-scan', () => {
  it(
    'finds eval, child processes, unsafe regexes and the rest, rated by the table, ignoring the workspace config and inline disables',
    async () => {
      const report = await scan(RISKY, { commit: 'c0ffee' });
      const pkg = (name: string) =>
        (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
      expect(report.tool).toBe(`sast-scan@${pkg('eslint')}`);
      expect(report.versions).toMatchObject({
        eslint: '10.16.0',
        'eslint-plugin-security': '4.1.0',
      });
      expect(report.commit).toBe('c0ffee');
      expect(report.filesScanned).toBe(6);
      const found = report.findings.map((f) => `${f.severity} ${f.file}:${f.line}:${f.column} ${f.rule}`);
      expect(found.sort()).toEqual(
        [
          'high public/app.js:1:1 no-implied-eval',
          'high src/legacy.cjs:1:28 security/detect-non-literal-require',
          'high src/run.js:3:3 security/detect-child-process',
          'high src/run.js:7:10 no-eval',
          'high src/run.js:7:10 security/detect-eval-with-expression',
          'high src/store.js:7:21 security/detect-unsafe-regex',
          'high test/calc.test.js:1:13 no-new-func',
          'low src/store.js:5:10 security/detect-object-injection',
          'medium src/store.js:4:27 security/detect-non-literal-fs-filename',
        ].sort(),
      );
      expect(report.parseErrors).toEqual([
        { file: 'src/broken.js', line: 1, message: expect.stringMatching(/^Parsing error: /) },
      ]);
    },
    TIMEOUT,
  );

  it(
    'reports nothing for clean code, and zero files for a workspace without scripts',
    async () => {
      const clean = await scan({
        'src/app.js': "export const add = (a, b) => a + b;\nexport const name = 'app';\n",
        'test/app.test.js': "import { add } from '../src/app.js';\nexport const sum = add(1, 2);\n",
      });
      expect(clean).toMatchObject({ filesScanned: 2, findings: [], parseErrors: [] });
      const empty = await scan({ 'README.md': '# nothing to lint\n' });
      expect(empty).toMatchObject({ filesScanned: 0, findings: [], parseErrors: [] });
    },
    TIMEOUT,
  );

  it(
    'fails, never reports nothing, when ESLint does not finish in time',
    async () => {
      const error = await scan({ 'src/app.js': 'export {};\n' }, { timeoutMs: 20 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ToolFailedError);
      expect((error as Error).message).toMatch(/timed out/);
    },
    TIMEOUT,
  );

  it('rates every rule it enables in its severity table', () => {
    const rules = enabledRules();
    expect(rules).toContain('security/detect-child-process');
    expect(rules.filter((r) => !(r in SAST_SEVERITY))).toEqual([]);
    expect(Object.keys(SAST_SEVERITY).sort()).toEqual([...rules].sort());
  });
});
