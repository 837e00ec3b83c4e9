import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TestReport } from '../../../core/schemas/tool-reports.ts';
import { buildInputFor, FIXTURE_IDEAS } from './fixtures.ts';
import { generateApp } from './generate.ts';
import { repairApp } from './repair.ts';
import { type AppSpec, appSpecFrom } from './spec.ts';

/**
 * The generated programs as real processes: their own test suites, the service's entry point, a
 * coverage run, and a repair from a real failing run. Every figure checked here comes from running
 * Node on the generated files.
 */

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function writeTree(spec: AppSpec): string {
  const dir = mkdtempSync(join(tmpdir(), `ideamine-app-${spec.name}-`));
  dirs.push(dir);
  for (const file of generateApp(spec)) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.content);
  }
  return dir;
}

interface Run {
  code: number | null;
  output: string;
}

function runNode(cwd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // BASE_URL from the environment would point the acceptance tests elsewhere.
    const { BASE_URL: _, ...inherited } = process.env;
    const child = spawn(process.execPath, args, { cwd, env: { ...inherited, ...env } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The `test` script of the generated package.json, as argv for process.execPath. */
function testArgs(dir: string): string[] {
  const script: string = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts.test;
  const [node, ...args] = script.match(/"[^"]*"|\S+/g) ?? [];
  expect(node).toBe('node');
  return args.map((a) => a.replace(/^"|"$/g, ''));
}

function counts(output: string): Record<'tests' | 'pass' | 'fail' | 'todo', number> {
  const count = (name: string) => Number(new RegExp(`^[ℹ#] ${name} (\\d+)$`, 'm').exec(output)?.[1] ?? NaN);
  return { tests: count('tests'), pass: count('pass'), fail: count('fail'), todo: count('todo') };
}

/** Just enough TAP: the names of failing top-level tests. */
function failingTests(tap: string): string[] {
  return [...tap.matchAll(/^not ok \d+ - (.+?)(?: # .*)?$/gm)].map((m) => m[1]!.replace(/\\#/g, '#'));
}

function reportOf(run: Run, failing: string[]): TestReport {
  const c = counts(run.output);
  return {
    tool: `test-runner@${process.version}`,
    command: 'node --test --test-reporter=tap',
    exitCode: run.code,
    passed: c.pass,
    failed: c.fail,
    skipped: 0,
    todo: c.todo,
    total: c.tests,
    durationMs: 0,
    cases: failing.map((name) => ({ name, status: 'failed' as const, durationMs: 0 })),
    failures: failing.map((name) => ({ name, message: 'failed' })),
    parseErrors: [],
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startServer(dir: string, port: number, dataFile: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['src/server.js'], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), DATA_FILE: dataFile },
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error('the generated server did not become healthy within 5 s');
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

const specs = Object.fromEntries(
  Object.entries(FIXTURE_IDEAS).map(([key, idea]) => [key, appSpecFrom(buildInputFor(idea))]),
) as Record<keyof typeof FIXTURE_IDEAS, AppSpec>;

describe.each(Object.keys(specs) as (keyof typeof specs)[])('the generated %s program', (key) => {
  const spec = specs[key];
  const dir = writeTree(spec);

  it('passes its own test script, one acceptance test per criterion, none todo', async () => {
    const run = await runNode(dir, testArgs(dir));
    const c = counts(run.output);
    expect(run.code, run.output.slice(-3000)).toBe(0);
    expect(c.fail).toBe(0);
    expect(c.todo).toBe(0);
    expect(c.pass).toBe(c.tests);
    const criteria = spec.stories.flatMap((s) => s.criteria.map((x) => `${x.testId} [${s.id}] ${x.text}`));
    expect(c.tests).toBeGreaterThan(criteria.length + spec.resources.length);
    for (const name of criteria) expect(run.output).toContain(name);
  });

  it('covers at least 80 % of its lines, as measured by node --experimental-test-coverage', async () => {
    const [, ...args] = ['node', ...testArgs(dir)];
    const run = await runNode(dir, ['--experimental-test-coverage', ...args]);
    expect(run.code).toBe(0);
    const lines = Number(/^[ℹ#] all files\s+\|\s+([\d.]+)/m.exec(run.output)?.[1]);
    expect(lines).toBeGreaterThanOrEqual(80);
  });
});

describe('the generated service as a process', () => {
  const spec = specs.todo;
  const dir = writeTree(spec);

  it('serves healthz, validates input, and keeps records across a restart', async () => {
    const port = await freePort();
    const dataFile = join(dir, 'data', 'int.db');
    const base = `http://127.0.0.1:${port}`;
    const headers = { 'content-type': 'application/json', 'x-user': 'alice' };
    let server = await startServer(dir, port, dataFile);
    try {
      const created = await fetch(`${base}/api/v1/lists`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'Groceries' }),
      });
      expect(created.status).toBe(201);
      const record = (await created.json()) as { id: string; name: string };
      const bad = await fetch(`${base}/api/v1/lists`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 7 }),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { fields: Record<string, string> }).fields).toEqual({
        name: 'must be text',
      });
      expect(await stop(server)).toBe(0);

      server = await startServer(dir, port, dataFile);
      const read = await fetch(`${base}/api/v1/lists/${record.id}`, { headers });
      expect(read.status).toBe(200);
      expect(await read.json()).toEqual(record);
    } finally {
      await stop(server);
    }
  });
});

describe('repair from a real failing run', () => {
  const spec = specs.todo;

  it('restores a broken handler and the tests pass again', async () => {
    const dir = writeTree(spec);
    const file = join(dir, 'src/resources/lists.js');
    writeFileSync(file, readFileSync(file, 'utf8').replace('status: 201', 'status: 200'));
    const tapArgs = ['--test-reporter=tap', ...testArgs(dir).slice(1)];
    const red = await runNode(dir, ['--test', ...tapArgs]);
    expect(red.code).not.toBe(0);
    const failing = failingTests(red.output);
    expect(failing).toContain('UT-lists-create returns 201 with id, owner and version 1');
    expect(failing.some((n) => n.startsWith('TC-1.1.1 [US-1.1]'))).toBe(true);

    const current = new Map(generateApp(spec).map((f) => [f.path, readFileSync(join(dir, f.path), 'utf8')]));
    const repair = repairApp(spec, reportOf(red, failing), current);
    expect(repair.files.map((f) => f.path)).toEqual(['src/resources/lists.js']);
    expect(repair.diagnosis).toHaveLength(failing.length);
    for (const f of repair.files) writeFileSync(join(dir, f.path), f.content);

    const green = await runNode(dir, ['--test', ...tapArgs]);
    expect(green.code, green.output.slice(-2000)).toBe(0);
    expect(failingTests(green.output)).toEqual([]);
  });

  it('finds nothing to restore when the defect is outside the files it owns', async () => {
    const dir = writeTree(spec);
    // The defect is in lists.js, but the failing test implicates items.js and the shared files, which
    // are intact: a repair that restored lists.js anyway would be guessing.
    const file = join(dir, 'src/resources/lists.js');
    writeFileSync(file, readFileSync(file, 'utf8').replace('status: 201', 'status: 200'));
    const current = new Map(generateApp(spec).map((f) => [f.path, readFileSync(join(dir, f.path), 'utf8')]));
    const run = { code: 1, output: 'ℹ tests 1\nℹ pass 0\nℹ fail 1\nℹ todo 0' };
    const failing = ['UT-items-create returns 201 with id, owner and version 1'];
    const repair = repairApp(spec, reportOf(run, failing), current);
    expect(repair.files).toEqual([]);
    expect(repair.diagnosis[0]?.cause).toMatch(/^no repair found/);
  });
});
