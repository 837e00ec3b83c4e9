import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { describeThrown, ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import type { Database, Queryable, Row, Unsubscribe } from './database.ts';
import { acquireDataDirLock, type DataDirLock } from './lock-file.ts';
import { pgliteStartParams } from './pglite-settings.ts';
import { seedFromTemplate, templateCandidates } from './pglite-template.ts';

export interface PgliteDatabaseOptions {
  /** The IdeaMine home; the database lives in `<dataDir>/pgdata`. Omit for an in-memory database. */
  dataDir?: string;
  /**
   * What a new data dir's template holds besides an empty cluster (the schema): `prepare` runs once per
   * installation and `key`, and every new data dir starts as a copy of its result.
   */
  template?: { key: string; prepare: (db: Database) => Promise<void> };
}

/**
 * Embedded Postgres (PGlite, PostgreSQL in WASM), one connection in this process. Queries are
 * serialised by PGlite itself; a transaction holds that one connection until it ends. PGlite never
 * fsyncs: committed writes survive a process crash, not a power loss.
 */
export async function createPgliteDatabase(options: PgliteDatabaseOptions = {}): Promise<Database> {
  let lock: DataDirLock | undefined;
  let pg: PGlite;
  if (options.dataDir) {
    lock = acquireDataDirLock(options.dataDir);
    try {
      const pgdata = join(options.dataDir, 'pgdata');
      const template = options.template;
      const seeded = template
        ? await seedFromTemplate(pgdata, templateCandidates(template.key), (built) =>
            template.prepare(new PgliteDatabase(built, 'template', undefined)),
          )
        : await seedFromTemplate(pgdata);
      if (!seeded) mkdirSync(pgdata, { recursive: true });
      pg = await PGlite.create({ dataDir: pgdata, startParams: pgliteStartParams() });
    } catch (error) {
      lock.release();
      throw new IdeaMineError(
        ErrorCode.storageUnavailable,
        `cannot open the embedded database in ${options.dataDir}: ${describeThrown(error)}`,
        {
          errorClass: ErrorClass.fatal,
          cause: error,
        },
      );
    }
  } else {
    pg = await PGlite.create({ startParams: pgliteStartParams() });
  }
  return new PgliteDatabase(pg, options.dataDir ?? 'memory://', lock);
}

function wrap(target: PGlite | Transaction): Queryable {
  return {
    async query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      const result = await target.query<R>(sql, params as unknown[] | undefined);
      return result.rows;
    },
    async exec(sql: string): Promise<void> {
      await target.exec(sql);
    },
  };
}

class PgliteDatabase implements Database {
  readonly driver = 'pglite' as const;
  readonly capabilities = { listenNotify: false, multiProcess: false, durableFsync: false } as const;
  readonly location: string;
  readonly #pg: PGlite;
  readonly #lock: DataDirLock | undefined;
  readonly #self: Queryable;
  #closed = false;

  constructor(pg: PGlite, location: string, lock: DataDirLock | undefined) {
    this.#pg = pg;
    this.location = location;
    this.#lock = lock;
    this.#self = wrap(pg);
  }

  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return this.#self.query<R>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.#self.exec(sql);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#pg.transaction((tx) => fn(wrap(tx)));
  }

  channel(name: string): string {
    return name;
  }

  async listen(channel: string, onMessage: (payload: string) => void): Promise<Unsubscribe> {
    const unsubscribe = await this.#pg.listen(this.channel(channel), onMessage);
    return async () => {
      if (!this.#closed) await unsubscribe();
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#pg.close();
    } finally {
      this.#lock?.release();
    }
  }
}
