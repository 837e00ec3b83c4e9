import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import type { Database } from '../../src/storage/database.ts';
import { openDatabase } from '../../src/storage/open.ts';

export const POSTGRES_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

function canConnect(url: string, defaultPort: number): Promise<boolean> {
  const parsed = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: parsed.hostname, port: Number(parsed.port || defaultPort) });
    socket.setTimeout(1500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Whether a server-backed suite should run. Under CI=true an unreachable service throws (the suite
 * fails loudly); elsewhere the suite is skipped with a visible reason.
 */
export async function serviceAvailable(name: 'postgres' | 'redis'): Promise<boolean> {
  const ok = name === 'postgres' ? await canConnect(POSTGRES_URL, 5432) : await canConnect(REDIS_URL, 6379);
  if (!ok && process.env['CI'] === 'true') {
    throw new Error(
      `${name} is unreachable (${name === 'postgres' ? POSTGRES_URL : REDIS_URL}) and CI=true: server-backed suites must run`,
    );
  }
  if (!ok) console.warn(`[skip] ${name} unreachable: its suites are skipped (set CI=true to make this fail)`);
  return ok;
}

export const postgresReachable = await serviceAvailable('postgres');
export const redisReachable = await serviceAvailable('redis');

export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** A migrated Postgres database in a fresh schema; dropping the schema on close keeps the server clean. */
export async function openTestPostgres(schema = uniqueSchema()): Promise<Database & { schema: string }> {
  const db = await openDatabase({ driver: 'postgres', url: POSTGRES_URL, schema, poolSize: 8 });
  const close = db.close.bind(db);
  return Object.assign(db, {
    schema,
    close: async () => {
      await close();
      await dropSchema(schema);
    },
  });
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}

export async function openTestPglite(dataDir?: string): Promise<Database> {
  return openDatabase(dataDir === undefined ? { driver: 'pglite' } : { driver: 'pglite', dataDir });
}

/** The drivers every conformance suite runs on. */
export const drivers: Array<{ name: string; available: boolean; open: () => Promise<Database> }> = [
  { name: 'pglite', available: true, open: () => openTestPglite() },
  { name: 'postgres', available: postgresReachable, open: () => openTestPostgres() },
];
