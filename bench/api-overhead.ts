/**
 * What the HTTP API adds over the library call it wraps: `node bench/api-overhead.ts [--n 1000]
 * [--postgres]`. For each operation it times N direct library calls and N requests over real HTTP
 * (node-server on 127.0.0.1, keep-alive, bearer token, validation, JSON), alternating so both see the
 * same machine load, and prints p50/p95 of each, the p50 overhead in ms and the ratio. The target is
 * at most 5 ms of p50 overhead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApiToken } from '../src/api/tokens.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { openRuntime } from '../src/runtime.ts';
import { getPhases, getRun, listRuns } from '../src/storage/run-store.ts';
import { startApiServer } from '../test/support/api-server.ts';

const args = process.argv.slice(2);
const n = Number(args[args.indexOf('--n') + 1]) || 1_000;
const postgres = args.includes('--postgres');
const schema = `bench_api_${process.pid}`;

const home = mkdtempSync(join(tmpdir(), 'ideamine-bench-api-'));
const rt = await openRuntime(
  {
    home,
    leaseMs: 30_000,
    logLevel: 'silent',
    model: 'offline',
    ...(postgres
      ? {
          databaseUrl: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
          pgSchema: schema,
        }
      : {}),
  },
  silentLogger,
);
const configs = await rt.loadPhaseConfigs();
for (let i = 0; i < 20; i++)
  await rt.orchestrator.createRun(
    { title: `Bench ${i}`, description: 'A shared todo app for small teams' },
    configs,
  );
const runId = (await listRuns(rt.db, 1))[0]?.id as string;
const { secret } = await createApiToken(rt.db, ['runs:read']);
// The bench measures overhead, not the rate limit.
const api = await startApiServer({ runtime: rt, limits: { rateBurst: 1e9, ratePerMinute: 1e9 } });

const ops: Array<{ name: string; direct: () => Promise<unknown>; http: string }> = [
  { name: 'get run', direct: () => getRun(rt.db, runId), http: `/api/runs/${runId}` },
  { name: 'list 20 runs', direct: () => listRuns(rt.db, 20), http: '/api/runs?limit=20' },
  { name: 'phases of a run', direct: () => getPhases(rt.db, runId), http: `/api/runs/${runId}/phases` },
];

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)] ?? NaN;
const ms = (x: number) => x.toFixed(3);

console.log(`API overhead, ${rt.db.driver}, n=${n} per operation`);
console.log('operation        lib p50   lib p95   api p50   api p95   overhead p50   ratio');
for (const op of ops) {
  for (let i = 0; i < 50; i++) {
    await op.direct();
    await (await api.call(op.http, { token: secret })).arrayBuffer();
  }
  const direct: number[] = [];
  const http: number[] = [];
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    await op.direct();
    direct.push(performance.now() - t);
    t = performance.now();
    const res = await api.call(op.http, { token: secret });
    await res.arrayBuffer();
    http.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`${op.http}: HTTP ${res.status}`);
  }
  const overhead = pct(http, 0.5) - pct(direct, 0.5);
  console.log(
    `${op.name.padEnd(15)}  ${ms(pct(direct, 0.5)).padStart(7)}   ${ms(pct(direct, 0.95)).padStart(7)}   ${ms(pct(http, 0.5)).padStart(7)}   ${ms(pct(http, 0.95)).padStart(7)}   ${ms(overhead).padStart(12)}   ${(pct(http, 0.5) / pct(direct, 0.5)).toFixed(2).padStart(5)}x  ${overhead <= 5 ? 'ok' : 'OVER 5 ms'}`,
  );
}

await api.close();
if (postgres) await rt.db.exec(`drop schema if exists ${schema} cascade`);
await rt.close();
rmSync(home, { recursive: true, force: true });
