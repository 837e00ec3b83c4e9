import pg from 'pg';

/**
 * Postgres plumbing for the harness: a database per benchmark session (so CPU can be attributed to
 * its backends by `datname`, and one DROP cleans everything), schemas per subject, server settings.
 */

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Benchmarks talk only to services on this machine. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!LOOPBACK.has(host)) throw new Error(`benchmarks only talk to 127.0.0.1; refusing ${host}`);
}

export function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function checkName(name: string): string {
  if (!NAME.test(name)) throw new Error(`invalid identifier "${name}"`);
  return name;
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'ideamine-bench-admin' });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function createDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, (c) => c.query(`create database ${checkName(name)}`));
}

/** Drops a benchmark database, disconnecting anything still attached to it. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, (c) => c.query(`drop database if exists ${checkName(name)} with (force)`));
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  await withClient(url, (c) => c.query(`drop schema if exists ${checkName(schema)} cascade`));
}

export interface PgServerInfo {
  version: string;
  settings: Record<string, string>;
}

const SETTINGS = [
  'synchronous_commit',
  'fsync',
  'full_page_writes',
  'wal_sync_method',
  'wal_level',
  'commit_delay',
  'shared_buffers',
  'max_wal_size',
  'max_connections',
  'wal_writer_delay',
];

export async function serverInfo(url: string): Promise<PgServerInfo> {
  return withClient(url, async (c) => {
    const version = (await c.query<{ v: string }>('select version() as v')).rows[0]?.v ?? '?';
    const rows = await c.query<{ name: string; setting: string; unit: string | null }>(
      'select name, setting, unit from pg_settings where name = any($1)',
      [SETTINGS],
    );
    const settings: Record<string, string> = {};
    for (const r of rows.rows) settings[r.name] = r.unit ? `${r.setting} ${r.unit}` : r.setting;
    return { version, settings };
  });
}

/** Cluster-wide WAL position in bytes (other sessions on the server write WAL too). */
export async function walBytes(client: pg.Client | pg.Pool): Promise<number> {
  const r = await client.query<{ b: string }>(
    "select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as b",
  );
  return Number(r.rows[0]?.b ?? 0);
}

/** A unique lower-case suffix for schema and key names of one benchmark process. */
export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}${Date.now().toString(36).slice(-5)}`;
}
