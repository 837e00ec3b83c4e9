import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoadStats } from '../../core/schemas/tool-reports.ts';
import { runTool } from '../runner.ts';
import { probeSandbox } from '../sandbox.ts';
import { collectingRecorder, writeProject } from './fixtures.test-support.ts';
import { defaultTargets, loadTest, statsOf } from './load-test.ts';

const SERVICE_PACKAGE = JSON.stringify({
  name: 'svc',
  type: 'module',
  scripts: { start: 'node src/server.js' },
  ideamine: { kind: 'service' },
});

// Built-ins only: /healthz, a list endpoint that wants `x-user` (as generated services do), a broken route.
const SERVER = `import { createServer } from 'node:http';
const items = [{ id: 1, title: 'first' }];
const server = createServer((req, res) => {
  if (req.url === '/healthz') return res.writeHead(200).end('ok');
  if (req.url === '/api/v1/items') {
    if (!req.headers['x-user']) return res.writeHead(401).end();
    return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(items));
  }
  if (req.url === '/boom') return res.writeHead(500).end('broken');
  res.writeHead(404).end();
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const sandbox = await probeSandbox();
// Loopback inside the sandbox is the point: run sandboxed wherever bwrap works (and always in CI).
const sandboxed = sandbox.kind === 'bwrap' || process.env['CI'] === 'true';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function load(files: Record<string, string>, input: Record<string, unknown>) {
  const workspace = await writeProject(files);
  dirs.push(workspace);
  const recorder = collectingRecorder();
  const run = await runTool(loadTest, input, { workspace, allowlist: ['load-test'], recorder });
  expect(recorder.invocations).toEqual([run.invocation]);
  if (sandboxed) expect(run.invocation.sandbox.kind).toBe('bwrap');
  return run;
}

function expectSane(stats: LoadStats) {
  const l = stats.latencyMs;
  expect(l.p50).toBeLessThanOrEqual(l.p90);
  expect(l.p90).toBeLessThanOrEqual(l.p97_5);
  expect(l.p97_5).toBeLessThanOrEqual(l.p99);
  expect(l.p99).toBeLessThanOrEqual(l.max);
  expect(stats.throughput).toBeGreaterThan(0);
}

describe('load-test', () => {
  it('loads /healthz and the first resource list (with x-user) of a healthy service', async () => {
    const { output: report, invocation } = await load(
      {
        'package.json': SERVICE_PACKAGE,
        'src/server.js': SERVER,
        'src/resources/items.js': 'export {};\n',
        'src/resources/zebras.js': 'export {};\n',
      },
      { durationSeconds: 1, connections: 4, commit: 'abc123' },
    );
    const pkg = JSON.parse(
      await readFile(createRequire(import.meta.url).resolve('autocannon/package.json'), 'utf8'),
    ) as { version: string };
    expect(report.tool).toBe(`load-test@${pkg.version}`);
    expect(invocation.toolVersion).toBe(pkg.version);
    expect(report).toMatchObject({ durationSeconds: 1, connections: 4, commit: 'abc123' });
    expect(report.startError).toBeUndefined();
    expect(report.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(report.paths.map((p) => [p.path, p.headers])).toEqual([
      ['/healthz', undefined],
      ['/api/v1/items', { 'x-user': 'load-test' }],
    ]);
    for (const stats of [...report.paths, report.overall]) {
      expect(stats.requests).toBeGreaterThan(0);
      expect(stats).toMatchObject({ errors: 0, timeouts: 0, non2xx: 0, errorRate: 0 });
      expectSane(stats);
    }
    expect(report.paths[1]?.statusCodes).toEqual({ '200': report.paths[1]?.requests });
    expect(report.overall.requests).toBe(report.paths[0]!.requests + report.paths[1]!.requests);
    expect(report.overall.latencyMs.max).toBe(Math.max(...report.paths.map((p) => p.latencyMs.max)));
    expect(report.overall.durationSeconds).toBeGreaterThanOrEqual(2);
  });

  it('counts a route that answers 500 as all errors', async () => {
    const { output: report } = await load(
      { 'package.json': SERVICE_PACKAGE, 'src/server.js': SERVER },
      { durationSeconds: 1, connections: 2, paths: ['/boom', { path: '/healthz' }] },
    );
    const [boom, health] = report.paths;
    expect(boom).toMatchObject({ path: '/boom', errorRate: 1, errors: 0 });
    expect(boom!.requests).toBeGreaterThan(0);
    expect(boom!.non2xx).toBe(boom!.requests);
    expect(boom!.statusCodes).toEqual({ '500': boom!.requests });
    expectSane(boom!);
    expect(health).toMatchObject({ path: '/healthz', errorRate: 0, non2xx: 0 });
    expect(report.overall.non2xx).toBe(boom!.requests);
    expect(report.overall.errorRate).toBeCloseTo(boom!.requests / (boom!.requests + health!.requests), 10);
  });

  it('reports startError, with zero requests, when /healthz never answers 200', async () => {
    const unhealthy = `import { createServer } from 'node:http';
console.error('warming up forever');
createServer((req, res) => res.writeHead(503).end()).listen(Number(process.env.PORT), '127.0.0.1');
`;
    const { output: report } = await load(
      { 'package.json': SERVICE_PACKAGE, 'src/server.js': unhealthy },
      { durationSeconds: 1, healthTimeoutMs: 1_000 },
    );
    expect(report.startError).toMatch(/GET \/healthz did not answer 200 within 1000 ms/);
    expect(report.startError).toContain('warming up forever');
    expect(report.paths).toEqual([expect.objectContaining({ path: '/healthz', requests: 0, errorRate: 0 })]);
    expect(report.overall).toMatchObject({ requests: 0, throughput: 0, errors: 0, errorRate: 0 });
  });

  it('defaults to /healthz alone without resources', async () => {
    const dir = await writeProject({ 'package.json': SERVICE_PACKAGE });
    dirs.push(dir);
    expect(await defaultTargets(dir)).toEqual([{ path: '/healthz' }]);
  });

  it('turns an empty autocannon result into zeros, not NaN', () => {
    const stats = statsOf({
      duration: 1,
      errors: 3,
      timeouts: 1,
      non2xx: 0,
      statusCodeStats: {},
      latency: { mean: null, max: 0, p50: 0, p90: 0, p97_5: 0, p99: 0 },
      requests: { total: 0 },
    });
    expect(stats).toMatchObject({ requests: 0, throughput: 0, errors: 3, timeouts: 1, errorRate: 1 });
    expect(stats.latencyMs).toEqual({ p50: 0, p90: 0, p97_5: 0, p99: 0, max: 0, mean: 0 });
  });
});
