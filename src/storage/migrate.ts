import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import { sha256 } from '../core/ids.ts';
import type { Database } from './database.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
// Arbitrary constant: the advisory lock that serialises migrations across processes (per schema,
// because the lock key is combined with current_schema()).
const MIGRATION_LOCK = 7_270_001;

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const match = FILE_NAME.exec(file);
    if (!match) continue;
    const sql = readFileSync(join(dir, file), 'utf8');
    migrations.push({ version: Number(match[1]), name: match[2] ?? file, sql, checksum: sha256(sql) });
  }
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new IdeaMineError(
        ErrorCode.migrationFailed,
        `migrations must be numbered 0001, 0002, … without gaps; found ${m.version} at position ${i + 1}`,
      );
    }
  });
  return migrations;
}

/** Names one set of migrations (their versions and contents): the key of a data-dir template. */
export function migrationsFingerprint(migrations: readonly Migration[]): string {
  return sha256(migrations.map((m) => `${m.version}:${m.checksum}`).join('\n')).slice(0, 16);
}

/**
 * True when every migration is already applied, unchanged: one statement, the common case at every
 * start (a new embedded home is a copy of a migrated template). Anything else, including a database
 * without the table, is left to the locked path below, which applies or reports.
 */
async function allApplied(db: Database, migrations: readonly Migration[]): Promise<boolean> {
  let rows: { version: number; checksum: string }[];
  try {
    rows = await db.query('select version, checksum from schema_migrations');
  } catch {
    return false;
  }
  const applied = new Map(rows.map((row) => [Number(row.version), row.checksum]));
  return migrations.every((m) => applied.get(m.version) === m.checksum);
}

/**
 * Applies pending migrations, each in its own transaction, forward only. Safe when several processes
 * start at once on one Postgres: each transaction first takes an advisory lock, then re-checks what is
 * applied. An applied migration whose file changed afterwards is an error, never silently re-run.
 */
export async function migrate(db: Database, migrations: Migration[] = loadMigrations()): Promise<number[]> {
  if (await allApplied(db, migrations)) return [];
  const applied: number[] = [];
  for (const migration of migrations) {
    const ran = await db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1, hashtext(current_schema()))', [MIGRATION_LOCK]);
      await tx.exec(`create table if not exists schema_migrations (
        version integer primary key, name text not null, checksum text not null,
        applied_at timestamptz not null default now())`);
      const existing = await tx.query<{ checksum: string }>(
        'select checksum from schema_migrations where version = $1',
        [migration.version],
      );
      const found = existing[0];
      if (found) {
        if (found.checksum !== migration.checksum) {
          throw new IdeaMineError(
            ErrorCode.migrationFailed,
            `migration ${String(migration.version).padStart(4, '0')}_${migration.name} was changed after it was applied; add a new migration instead`,
            { errorClass: ErrorClass.fatal },
          );
        }
        return false;
      }
      try {
        await tx.exec(migration.sql);
      } catch (error) {
        throw new IdeaMineError(
          ErrorCode.migrationFailed,
          `migration ${String(migration.version).padStart(4, '0')}_${migration.name} failed: ${(error as Error).message}`,
          { errorClass: ErrorClass.fatal, cause: error },
        );
      }
      await tx.query('insert into schema_migrations (version, name, checksum) values ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return applied;
}
