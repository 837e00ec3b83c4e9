import type { Database } from './database.ts';
import { migrate } from './migrate.ts';
import { createPgliteDatabase } from './pglite-driver.ts';
import { createPostgresDatabase } from './postgres-driver.ts';

export type StorageOptions =
  | { driver: 'pglite'; dataDir?: string }
  | { driver: 'postgres'; url: string; schema?: string; poolSize?: number; applicationName?: string };

/** Opens the configured database and brings its schema up to date. */
export async function openDatabase(options: StorageOptions): Promise<Database> {
  const db =
    options.driver === 'pglite'
      ? await createPgliteDatabase(options.dataDir === undefined ? {} : { dataDir: options.dataDir })
      : await createPostgresDatabase(options);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
