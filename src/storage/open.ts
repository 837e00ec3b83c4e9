import type { Database } from './database.ts';
import { loadMigrations, type Migration, migrate, migrationsFingerprint } from './migrate.ts';

export type StorageOptions =
  | { driver: 'pglite'; dataDir?: string }
  | { driver: 'postgres'; url: string; schema?: string; poolSize?: number; applicationName?: string };

/**
 * Opens the configured database and brings its schema up to date. Each driver is imported only when
 * chosen: an embedded start never loads `pg`, a Postgres one never loads PGlite.
 */
export async function openDatabase(options: StorageOptions): Promise<Database> {
  const migrations = loadMigrations();
  const db =
    options.driver === 'pglite' ? await openPglite(options.dataDir, migrations) : await openPostgres(options);
  try {
    await migrate(db, migrations);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

async function openPglite(dataDir: string | undefined, migrations: Migration[]) {
  const { createPgliteDatabase } = await import('./pglite-driver.ts');
  if (dataDir === undefined) return createPgliteDatabase({});
  // A new data dir is a copy of a template that already holds the schema, so `migrate` below is a
  // one-statement check instead of a dozen transactions on every new home.
  return createPgliteDatabase({
    dataDir,
    template: {
      key: migrationsFingerprint(migrations),
      prepare: async (db) => {
        await migrate(db, migrations);
      },
    },
  });
}

async function openPostgres(options: Extract<StorageOptions, { driver: 'postgres' }>): Promise<Database> {
  const { createPostgresDatabase } = await import('./postgres-driver.ts');
  return createPostgresDatabase(options);
}
