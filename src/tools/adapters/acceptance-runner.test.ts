import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { runTool } from '../runner.ts';
import { acceptanceRunner, startCommand } from './acceptance-runner.ts';
import { collectingRecorder, writeProject } from './fixtures.test-support.ts';

const SERVICE_PACKAGE = JSON.stringify({
  name: 'svc',
  type: 'module',
  scripts: { start: 'node src/server.js', test: 'node --test' },
  ideamine: { kind: 'service' },
});

const SERVER = `import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
const items = [];
const server = createServer((req, res) => {
  if (req.url === '/healthz') return res.writeHead(200).end('ok');
  if (req.url === '/items' && req.method === 'POST') {
    items.push(1);
    writeFileSync(process.env.DATA_FILE, JSON.stringify(items));
    return res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: items.length }));
  }
  if (req.url === '/items') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(items));
  res.writeHead(404).end();
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close());
`;

const ACCEPTANCE = `import { test } from 'node:test';
import assert from 'node:assert/strict';
const base = process.env.BASE_URL;
test('TC-1.1.1 [US-1.1] creating an item answers 201', async () => {
  const res = await fetch(base + '/items', { method: 'POST' });
  assert.equal(res.status, 201);
});
test('TC-1.1.2 [US-1.1] listing items answers 200', async () => {
  const res = await fetch(base + '/items');
  assert.equal(res.status, 200);
});
test('TC-1.2.1 [US-1.2] deleting an item answers 204', async () => {
  const res = await fetch(base + '/items/1', { method: 'DELETE' });
  assert.equal(res.status, 204, 'delete is not implemented');
});
`;

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function acceptance(files: Record<string, string>, input: Record<string, unknown> = {}) {
  const workspace = await writeProject(files);
  dirs.push(workspace);
  const recorder = collectingRecorder();
  const { output, invocation } = await runTool(acceptanceRunner, input, {
    workspace,
    allowlist: ['acceptance-runner'],
    recorder,
  });
  expect(recorder.invocations).toEqual([invocation]);
  return output;
}

describe('acceptance-runner', () => {
  it('starts a service, runs the acceptance tests over HTTP and captures the failure', async () => {
    const report = await acceptance({
      'package.json': SERVICE_PACKAGE,
      'src/server.js': SERVER,
      'test/acceptance/items.test.js': ACCEPTANCE,
    });
    expect(report.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(report.startError).toBeUndefined();
    expect(report).toMatchObject({ total: 3, passed: 2, failed: 1, exitCode: 1 });
    expect(report.failures).toEqual([
      {
        name: 'TC-1.2.1 [US-1.2] deleting an item answers 204',
        file: 'test/acceptance/items.test.js',
        message: expect.stringContaining('delete is not implemented'),
      },
    ]);
    expect(report.tool).toBe(`acceptance-runner@${process.versions.node}`);
  });

  it('reports startError with the app output when /healthz never answers 200; every test counts as failed', async () => {
    const unhealthy = `import { createServer } from 'node:http';
console.error('warming up forever');
createServer((req, res) => res.writeHead(503).end()).listen(Number(process.env.PORT), '127.0.0.1');
`;
    const report = await acceptance(
      {
        'package.json': SERVICE_PACKAGE,
        'src/server.js': unhealthy,
        'test/acceptance/items.test.js': ACCEPTANCE,
      },
      { healthTimeoutMs: 1_500 },
    );
    expect(report.startError).toMatch(/GET \/healthz did not answer 200 within 1500 ms/);
    expect(report.startError).toContain('warming up forever');
    expect(report).toMatchObject({ total: 3, passed: 0, failed: 3 });
    expect(report.cases.map((c) => c.status)).toEqual(['failed', 'failed', 'failed']);
    expect(report.cases[0]?.message).toMatch(/not run/);
  });

  it('reports an app that crashes at start', async () => {
    const report = await acceptance(
      {
        'package.json': SERVICE_PACKAGE,
        'src/server.js': 'throw new Error("cannot open the data file");\n',
        'test/acceptance/items.test.js': ACCEPTANCE,
      },
      { healthTimeoutMs: 20_000 },
    );
    expect(report.startError).toMatch(/the app exited \(exit code 1\)/);
    expect(report.startError).toContain('cannot open the data file');
    expect(report.failed).toBe(3);
  });

  it("runs a command-line product's acceptance tests without starting anything", async () => {
    const report = await acceptance({
      'package.json': JSON.stringify({ name: 'cli', type: 'module', ideamine: { kind: 'cli' } }),
      'bin/cli.js': 'console.log("hello " + (process.argv[2] ?? "world"));\n',
      'test/acceptance/cli.test.js': `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
test('TC-2.1.1 [US-2.1] greets by name', () => {
  assert.equal(execFileSync(process.execPath, ['bin/cli.js', 'ada'], { encoding: 'utf8' }), 'hello ada\\n');
});
`,
    });
    expect(report).toMatchObject({ baseUrl: null, total: 1, passed: 1, failed: 0, exitCode: 0 });
    expect(report.startError).toBeUndefined();
  });

  it('takes the start command from the start script when it is `node <file>`', () => {
    expect(startCommand({ scripts: { start: 'node src/main.js --port-from-env' } })).toEqual([
      'src/main.js',
      '--port-from-env',
    ]);
    expect(startCommand({ scripts: { start: 'NODE_ENV=production node x.js' } })).toEqual(['src/server.js']);
    expect(startCommand({})).toEqual(['src/server.js']);
  });
});
