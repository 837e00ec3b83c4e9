import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { runTool } from '../runner.ts';
import { collectingRecorder, writeProject } from './fixtures.test-support.ts';
import { selectionFromScript } from './npm-test-script.ts';
import { testRunner } from './test-runner.ts';

const PACKAGE = JSON.stringify({ name: 'fx', type: 'module', scripts: { test: 'node --test' } });
const MATH = `export function add(a, b) { return a + b; }
export function sub(a, b) {
  if (a > b) {
    return a - b;
  }
  return b - a;
}
export function unused() {
  return 1;
}
`;
const MATH_TEST = `import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { add, sub } from '../src/math.js';
describe('math', () => {
  test('UT-math-adds', () => assert.equal(add(1, 2), 3));
  test('UT-math-subs', () => assert.equal(sub(3, 1), 2));
  test.skip('UT-math-skipped', () => {});
  test.todo('UT-math-todo');
});
test('top level', () => {});
`;
const FAILING_TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add } from '../src/math.js';
test('UT-math-wrong', () => assert.equal(add(1, 1), 3, 'one and one make three'));
`;

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function project(files: Record<string, string>): Promise<string> {
  const dir = await writeProject(files);
  dirs.push(dir);
  return dir;
}

/** What a person sees running `node --test --experimental-test-coverage` in the directory. */
function byHand(
  cwd: string,
  flags: string[] = [],
): Promise<{ counts: Record<string, number>; allFiles: number[] }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--test', '--experimental-test-coverage', ...flags],
      { cwd },
      (_error, stdout) => {
        const counts: Record<string, number> = {};
        for (const m of stdout.matchAll(/^ℹ (tests|pass|fail|skipped|todo|cancelled) (\d+)$/gm)) {
          counts[m[1]!] = Number(m[2]);
        }
        const row = /^ℹ all files\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)/m.exec(stdout);
        resolve({ counts, allFiles: row ? [Number(row[1]), Number(row[2]), Number(row[3])] : [] });
      },
    );
  });
}

async function runTests(workspace: string) {
  const recorder = collectingRecorder();
  const result = await runTool(
    testRunner,
    { commit: 'abc123' },
    { workspace, allowlist: ['test-runner'], recorder },
  );
  expect(recorder.invocations).toHaveLength(1);
  return result;
}

describe('test-runner', () => {
  it('with --test-isolation=none (one process), still equals the by-hand figures: its own reporter is not counted', async () => {
    const dir = await project({
      'package.json': JSON.stringify({
        name: 'fx',
        type: 'module',
        scripts: { test: 'node --test --test-isolation=none' },
      }),
      'src/math.js': MATH,
      'test/math.test.js': MATH_TEST,
    });
    const [{ output }, hand] = await Promise.all([runTests(dir), byHand(dir, ['--test-isolation=none'])]);
    expect(output.tests.total).toBe(hand.counts['tests']);
    expect(
      [output.coverage.lines, output.coverage.branches, output.coverage.functions].map((s) =>
        (s * 100).toFixed(2),
      ),
    ).toEqual(hand.allFiles.map((p) => p.toFixed(2)));
    expect(output.coverage.files.map((f) => f.path)).toEqual(['src/math.js']);
  });

  it('reports exactly the counts and coverage totals that node --test prints by hand', async () => {
    const dir = await project({
      'package.json': PACKAGE,
      'src/math.js': MATH,
      'test/math.test.js': MATH_TEST,
      'test/wrong.test.js': FAILING_TEST,
    });
    const [{ output, invocation }, hand] = await Promise.all([runTests(dir), byHand(dir)]);
    const { tests, coverage } = output;
    expect(invocation.tool).toBe(`test-runner@${process.versions.node}`);
    expect(tests.tool).toBe(`test-runner@${process.versions.node}`);
    expect({
      tests: tests.total,
      pass: tests.passed,
      fail: tests.failed,
      skipped: tests.skipped,
      todo: tests.todo,
      cancelled: tests.cancelled,
    }).toEqual(hand.counts);
    expect([coverage.lines, coverage.branches, coverage.functions].map((s) => (s * 100).toFixed(2))).toEqual(
      hand.allFiles.map((p) => p.toFixed(2)),
    );
    // Node leaves test files out of coverage by default; so does the report.
    expect(coverage.files.map((f) => f.path)).toEqual(['src/math.js']);
    expect(tests.exitCode).toBe(1);
    expect(tests.commit).toBe('abc123');
    expect(tests.failures).toEqual([
      {
        name: 'UT-math-wrong',
        file: 'test/wrong.test.js',
        message: expect.stringContaining('one and one make three'),
      },
    ]);
    expect(tests.cases.find((c) => c.name === 'math > UT-math-adds')).toMatchObject({
      status: 'passed',
      file: 'test/math.test.js',
    });
    expect(tests.cases.map((c) => c.status).sort()).toEqual([
      'failed',
      'passed',
      'passed',
      'passed',
      'skipped',
      'todo',
    ]);
    expect(tests.parseErrors).toEqual([]);
    expect(tests.command).toMatch(/^node --test --experimental-test-coverage/);
  });

  it('passes a passing project with exit code 0', async () => {
    const dir = await project({
      'package.json': PACKAGE,
      'src/math.js': MATH,
      'test/math.test.js': MATH_TEST,
    });
    const { tests, coverage } = (await runTests(dir)).output;
    expect(tests).toMatchObject({ exitCode: 0, passed: 3, failed: 0, total: 5, failures: [] });
    expect(coverage.functions).toBeCloseTo(2 / 3, 10);
  });

  it('reports a file that does not parse with the parser message and line', async () => {
    const dir = await project({
      'package.json': PACKAGE,
      'src/math.js': MATH,
      'src/broken.js': 'export function ok() {}\n\nconst y = );\n',
      'public/app.js': 'const x = ;\n',
      'test/math.test.js': MATH_TEST,
    });
    const { tests } = (await runTests(dir)).output;
    expect(tests.parseErrors).toEqual([
      { file: 'src/broken.js', line: 3, message: "SyntaxError: Unexpected token ')'" },
      { file: 'public/app.js', line: 1, message: "SyntaxError: Unexpected token ';'" },
    ]);
    expect(tests.passed).toBe(3);
  });

  it('reuses the patterns of the npm test script', () => {
    expect(selectionFromScript('node --test --test-reporter=spec test/unit/*.test.js')).toEqual({
      flags: [],
      patterns: ['test/unit/*.test.js'],
      source: 'npm-test-script',
    });
    expect(selectionFromScript('node --test --test-concurrency=1 "test/**/*.test.js"')).toMatchObject({
      flags: ['--test-concurrency=1'],
      patterns: ['test/**/*.test.js'],
    });
    expect(selectionFromScript('vitest run && echo done').source).toBe('node-test-defaults');
    expect(selectionFromScript(undefined).source).toBe('node-test-defaults');
  });
});
