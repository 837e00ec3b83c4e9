import type { Command } from 'commander';
import { Redis } from 'ioredis';
import pg from 'pg';
import { serverVersion } from '../../storage/health.ts';
import { isProcessAlive, readLockOwner } from '../../storage/lock-file.ts';
import { redactUrl } from '../../storage/redact.ts';
import { checkTools } from '../../tools/registry.ts';
import type { CliContext } from '../context.ts';
import { printJson, printLine } from '../output.ts';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** Checks what a run or a worker needs; exits non-zero when something it needs is missing. */
export function registerDoctorCommand(program: Command, cli: CliContext): void {
  program
    .command('doctor')
    .description(
      'check Node, the data dir and its lock, DATABASE_URL/REDIS_URL reachability, the model, and the workspace tools (git, prlimit, bwrap, Chromium, each tool@version)',
    )
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const options = cli.options();
      const checks: DoctorCheck[] = [checkNode(), checkDataDir(options.home, options.databaseUrl)];
      if (options.databaseUrl) checks.push(await checkPostgres(options.databaseUrl));
      if (options.redisUrl) checks.push(await checkRedis(options.redisUrl));
      checks.push(await cli.checkModel(options));
      // The tools a run uses on its workspace: git and prlimit are required, bwrap is the sandbox,
      // Chromium drives the accessibility check; then each built-in tool with its version.
      checks.push(...(await checkTools()).filter((t) => t.name !== 'node'));
      if (flags.json) printJson({ ok: checks.every((c) => c.ok), checks });
      else for (const c of checks) printLine(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(10)} ${c.detail}`);
      if (!checks.every((c) => c.ok)) process.exitCode = 1;
    });
}

function checkNode(): DoctorCheck {
  const major = Number(process.versions.node.split('.')[0]);
  return {
    name: 'node',
    ok: major >= 24,
    detail: `${process.version} at ${process.execPath}${major >= 24 ? '' : ' (needs 24 or newer)'}`,
  };
}

function checkDataDir(home: string, databaseUrl: string | undefined): DoctorCheck {
  const owner = readLockOwner(home);
  const storage = databaseUrl ? 'not used for storage (DATABASE_URL is set)' : 'embedded PGlite';
  if (!owner) return { name: 'data dir', ok: true, detail: `${home}: ${storage}; unlocked` };
  const alive = isProcessAlive(owner.pid);
  return {
    name: 'data dir',
    ok: true,
    detail: alive
      ? `${home}: ${storage}; in use by pid ${owner.pid} on ${owner.hostname} since ${owner.startedAt}`
      : `${home}: ${storage}; stale lock of dead pid ${owner.pid} (taken over at next start)`,
  };
}

async function checkPostgres(url: string): Promise<DoctorCheck> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const version = await serverVersion({ query: async (sql) => (await client.query(sql)).rows });
    return { name: 'postgres', ok: true, detail: `${redactUrl(url)}: server ${version}` };
  } catch (error) {
    return { name: 'postgres', ok: false, detail: `${redactUrl(url)}: ${(error as Error).message}` };
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkRedis(url: string): Promise<DoctorCheck> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 3_000,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const info = await redis.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    return { name: 'redis', ok: true, detail: `${redactUrl(url)}: server ${version}` };
  } catch (error) {
    return { name: 'redis', ok: false, detail: `${redactUrl(url)}: ${(error as Error).message}` };
  } finally {
    redis.disconnect();
  }
}
