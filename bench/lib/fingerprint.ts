import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { serverInfo } from './pg-admin.ts';
import { findTool, runTool } from './tools.ts';

/** What a result is only comparable with: the machine, the servers and their durability settings. */
export interface Fingerprint {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  loadAvgAtStart: number[];
  gitCommit: string | null;
  postgres: { version: string; settings: Record<string, string> } | { error: string };
  redis: { version: string } | { error: string };
  pgTestFsync: { fdatasyncOpsPerS: number; fdatasyncUsPerOp: number; file: string } | { na: string };
  packages: Record<string, string>;
}

const PACKAGES = [
  'graphile-worker',
  'pg-boss',
  'bullmq',
  '@dbos-inc/dbos-sdk',
  '@electric-sql/pglite',
  'pg',
  'ioredis',
];

function cpuModel(): string {
  try {
    return (
      /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ??
      cpus()[0]?.model ??
      '?'
    );
  } catch {
    return cpus()[0]?.model ?? '?';
  }
}

function packageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PACKAGES) {
    try {
      const pkg = JSON.parse(readFileSync(join('node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      };
      out[name] = pkg.version;
    } catch {
      out[name] = 'not installed';
    }
  }
  return out;
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

async function redisVersion(url: string): Promise<Fingerprint['redis']> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const info = await redis.info('server');
    return { version: /redis_version:(\S+)/.exec(info)?.[1] ?? '?' };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  } finally {
    redis.disconnect();
  }
}

/**
 * pg_test_fsync's first section (one 8 kB write + sync per op), stopped once the fdatasync line is
 * out: ~3 s instead of the tool's ~16 s. The file lives in the temp dir (same disk as Postgres here;
 * recorded so a reader can tell).
 */
async function fsyncFigure(): Promise<Fingerprint['pgTestFsync']> {
  const tool = findTool('pg_test_fsync');
  if (!tool) return { na: 'n/a (pg_test_fsync not installed)' };
  const file = join(tmpdir(), `ideamine-bench-fsync-${process.pid}.out`);
  try {
    const run = await runTool(tool, ['-s', '1', '-f', file], {
      timeoutMs: 30_000,
      stopWhen: /fdatasync\s+[\d.]+ ops\/sec\s+\d+ usecs\/op/,
    });
    const m = /fdatasync\s+([\d.]+) ops\/sec\s+(\d+) usecs\/op/.exec(run.stdout);
    if (!m) return { na: `pg_test_fsync gave no fdatasync figure: ${run.stdout.slice(0, 120)}` };
    return { fdatasyncOpsPerS: Number(m[1]), fdatasyncUsPerOp: Number(m[2]), file };
  } finally {
    rmSync(file, { force: true });
  }
}

export async function fingerprint(options: {
  adminUrl: string;
  redisUrl: string;
  fsync: boolean;
}): Promise<Fingerprint> {
  let postgres: Fingerprint['postgres'];
  try {
    postgres = await serverInfo(options.adminUrl);
  } catch (error) {
    postgres = { error: error instanceof Error ? error.message : String(error) };
  }
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    loadAvgAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
    gitCommit: gitCommit(),
    postgres,
    redis: await redisVersion(options.redisUrl),
    pgTestFsync: options.fsync ? await fsyncFigure() : { na: 'skipped in smoke mode' },
    packages: packageVersions(),
  };
}

export function describeMachine(f: Fingerprint): string[] {
  const pg = 'version' in f.postgres ? f.postgres : undefined;
  const s = pg?.settings ?? {};
  const fsync =
    'fdatasyncOpsPerS' in f.pgTestFsync
      ? `${Math.round(f.pgTestFsync.fdatasyncOpsPerS).toLocaleString('en-US')} ops/s (${f.pgTestFsync.fdatasyncUsPerOp} µs/op)`
      : f.pgTestFsync.na;
  return [
    `- Machine: ${f.cpuModel}, ${f.cores} cores, ${f.memoryGiB} GiB, Linux ${f.kernel}; load average at start ${f.loadAvgAtStart.join(' / ')}`,
    `- Node ${f.node}; ${pg ? pg.version.split(' on ')[0] : `Postgres: ${'error' in f.postgres ? f.postgres.error : '?'}`}; Redis ${'version' in f.redis ? f.redis.version : f.redis.error}`,
    `- Postgres: synchronous_commit=${s['synchronous_commit'] ?? '?'}, fsync=${s['fsync'] ?? '?'}, wal_sync_method=${s['wal_sync_method'] ?? '?'}, shared_buffers=${s['shared_buffers'] ?? '?'}`,
    `- pg_test_fsync fdatasync: ${fsync}`,
    `- Peers: ${Object.entries(f.packages)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
}
