import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from './context.ts';
import { CpuWindow } from './cpu.ts';
import type { CpuFigures } from './record.ts';
import { findTool, runTool } from './tools.ts';

/**
 * Physical floors measured in the same run as the subjects: pgbench running the engine's own SQL,
 * and redis-benchmark for XADD.
 */

export interface FloorResult {
  ratePerS: number;
  latencyAvgMs: number | null;
  processed: number;
  failed: number;
  cpu: CpuFigures;
}

export type Floor = FloorResult | { na: string };

export interface PgbenchRun {
  script: string;
  clients: number;
  seconds?: number;
  transactionsPerClient?: number;
  /** search_path for the script (the schema holding IdeaMine's tables). */
  schema?: string;
}

function pgEnv(url: string, schema: string | undefined): NodeJS.ProcessEnv {
  const u = new URL(url);
  return {
    PGHOST: u.hostname,
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username || 'postgres'),
    PGDATABASE: u.pathname.slice(1),
    ...(u.password ? { PGPASSWORD: decodeURIComponent(u.password) } : {}),
    ...(schema ? { PGOPTIONS: `-c search_path=${schema},public` } : {}),
  };
}

/** pgbench with a custom script, prepared statements, one thread. tps = script executions/s. */
export async function pgbench(ctx: BenchContext, run: PgbenchRun): Promise<Floor> {
  const tool = findTool('pgbench');
  if (!tool) return { na: 'n/a (pgbench not installed)' };
  const dir = mkdtempSync(join(tmpdir(), 'ideamine-pgbench-'));
  const file = join(dir, 'script.sql');
  writeFileSync(file, run.script);
  const args = ['-n', '-M', 'prepared', '-j', '1', '-c', String(run.clients), '-f', file];
  if (run.transactionsPerClient !== undefined) args.push('-t', String(run.transactionsPerClient));
  else if (!run.seconds) args.push('-t', '100');
  else args.push('-T', String(run.seconds));
  try {
    const window = await CpuWindow.start({ adminUrl: ctx.adminUrl, datname: ctx.benchDb });
    const result = await runTool(tool, args, { env: pgEnv(ctx.pgUrl, run.schema), timeoutMs: 600_000 });
    const cpu = await window.stop();
    const out = `${result.stdout}\n${result.stderr}`;
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1];
    if (result.code !== 0 || !tps) {
      return {
        na: `pgbench failed (exit ${result.code}): ${out.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}`,
      };
    }
    // The tool's own CPU replaces this process's (which only waited).
    cpu.clientMs = Math.round(result.cpuMs);
    cpu.clientPct = Math.round((result.cpuMs / cpu.wallMs) * 1000) / 10;
    return {
      ratePerS: Number(tps),
      latencyAvgMs: numberOrNull(/latency average = ([\d.]+) ms/.exec(out)?.[1]),
      processed: Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1] ?? 0),
      failed: Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0),
      cpu,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function numberOrNull(text: string | undefined): number | null {
  return text === undefined ? null : Number(text);
}

/** redis-benchmark of `XADD <prefix>:floor * f <value>` (unpipelined, or pipelined with -P). */
export async function redisXadd(
  ctx: BenchContext,
  options: { requests: number; clients: number; pipeline: number; valueBytes: number },
): Promise<Floor> {
  const tool = findTool('redis-benchmark');
  if (!tool) return { na: 'n/a (redis-benchmark not installed)' };
  const u = new URL(ctx.redisUrl);
  const key = `${ctx.redisPrefix}:floor-xadd`;
  const args = [
    '-h',
    u.hostname,
    '-p',
    u.port || '6379',
    '-n',
    String(options.requests),
    '-c',
    String(options.clients),
  ];
  args.push(
    '-P',
    String(options.pipeline),
    '-q',
    'XADD',
    key,
    'MAXLEN',
    '~',
    '100000',
    '*',
    'f',
    'x'.repeat(options.valueBytes),
  );
  const started = performance.now();
  const result = await runTool(tool, args, { timeoutMs: 120_000 });
  const wallMs = performance.now() - started;
  const rate = /([\d.]+) requests per second/.exec(result.stdout)?.[1];
  const p50 = /p50=([\d.]+) msec/.exec(result.stdout)?.[1];
  if (result.code !== 0 || !rate)
    return { na: `redis-benchmark failed (exit ${result.code}): ${result.stderr.slice(0, 200)}` };
  return {
    ratePerS: Number(rate),
    latencyAvgMs: numberOrNull(p50),
    processed: options.requests,
    failed: 0,
    cpu: {
      wallMs: Math.round(wallMs),
      clientMs: Math.round(result.cpuMs),
      clientPct: Math.round((result.cpuMs / wallMs) * 1000) / 10,
      pgMs: null,
      pgPct: null,
    },
  };
}
