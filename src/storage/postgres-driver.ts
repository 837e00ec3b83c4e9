import pg from 'pg';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import type { Database, Queryable, Row, Unsubscribe } from './database.ts';
import { redactUrl } from './redact.ts';

export interface PostgresDatabaseOptions {
  url: string;
  /** A schema to put every table in (created if missing). Tests use one per suite. Default: public. */
  schema?: string;
  poolSize?: number;
  applicationName?: string;
}

const INT8_OID = 20;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

// int8 (counts, sequence numbers) as numbers, as PGlite returns them; all our int8s fit in 2^53.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Real Postgres through a `pg` pool, plus one dedicated client for LISTEN. */
export async function createPostgresDatabase(options: PostgresDatabaseOptions): Promise<Database> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) {
    throw new IdeaMineError(ErrorCode.invalidConfig, `invalid Postgres schema name "${schema}"`);
  }
  const config: pg.PoolConfig = {
    connectionString: options.url,
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? 'ideamine',
    types,
    // IdeaMine never awaits anything but the database inside a transaction, so a session idle in a
    // transaction for 15 s belongs to a frozen or dead process (SIGSTOP, a hung VM). Postgres ends it
    // and its row and advisory locks are released, instead of blocking every other process forever.
    options: [
      '-c idle_in_transaction_session_timeout=15000',
      ...(schema === 'public' ? [] : [`-c search_path=${schema},public`]),
    ].join(' '),
  };
  const pool = new pg.Pool(config);
  // An idle client that loses its connection emits 'error' on the pool; without a listener that
  // would crash the process. The next query gets a fresh connection instead.
  pool.on('error', () => {});
  // A client that is checked out (in a transaction, or running a query) when its connection dies
  // emits 'error' too, and the pool's listener only covers idle clients: without this, a Postgres
  // crash-restart would take the whole process down instead of failing the statement in flight.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  try {
    if (schema !== 'public') await createSchema(pool, schema);
    else await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw storageUnavailable(options.url, error);
  }
  return new PostgresDatabase(pool, config, schema, redactUrl(options.url));
}

/**
 * `create schema if not exists` is not safe against itself: two sessions creating the same schema at
 * once can both pass the existence check and one fails on pg_namespace's unique index (23505). When
 * that happens the schema exists, which is all we wanted.
 */
async function createSchema(pool: pg.Pool, schema: string): Promise<void> {
  try {
    await pool.query(`create schema if not exists ${schema}`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') throw error;
  }
}

function storageUnavailable(url: string, cause: unknown): IdeaMineError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new IdeaMineError(
    ErrorCode.storageUnavailable,
    `cannot reach Postgres at ${redactUrl(url)}: ${reason}`,
    {
      errorClass: ErrorClass.transient,
      cause,
    },
  );
}

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      const result = await client.query<R>(sql, params as unknown[] | undefined);
      return result.rows;
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
}

type Listener = (payload: string) => void;

class PostgresDatabase implements Database {
  readonly driver = 'postgres' as const;
  readonly capabilities = { listenNotify: true, multiProcess: true, durableFsync: true } as const;
  readonly location: string;
  readonly #pool: pg.Pool;
  readonly #config: pg.PoolConfig;
  readonly #schema: string;
  readonly #self: Queryable;
  readonly #listeners = new Map<string, Set<Listener>>();
  #listenClient: pg.Client | undefined;
  #listenConnecting: Promise<pg.Client> | undefined;
  #closed = false;

  constructor(pool: pg.Pool, config: pg.PoolConfig, schema: string, location: string) {
    this.#pool = pool;
    this.#config = config;
    this.#schema = schema;
    this.location = schema === 'public' ? location : `${location} (schema ${schema})`;
    this.#self = wrap(pool);
  }

  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return this.#self.query<R>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.#self.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken = false;
    try {
      await client.query('begin');
      const result = await fn(wrap(client));
      await client.query('commit');
      return result;
    } catch (error) {
      try {
        await client.query('rollback');
      } catch {
        broken = true; // the connection is gone; do not return it to the pool
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Channels are namespaced by schema so that suites sharing a server never hear each other. */
  channel(name: string): string {
    return this.#schema === 'public' ? name : `${this.#schema}_${name}`;
  }

  async listen(channel: string, onMessage: (payload: string) => void): Promise<Unsubscribe> {
    const name = this.channel(channel);
    let set = this.#listeners.get(name);
    const first = !set;
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(onMessage);
    if (first) {
      const client = await this.#listenConnection();
      await client.query(`listen "${name}"`);
    }
    return async () => {
      const current = this.#listeners.get(name);
      current?.delete(onMessage);
      if (current && current.size === 0) {
        this.#listeners.delete(name);
        await this.#listenClient?.query(`unlisten "${name}"`).catch(() => {});
      }
    };
  }

  async #listenConnection(): Promise<pg.Client> {
    if (this.#listenClient) return this.#listenClient;
    this.#listenConnecting ??= this.#connectListener();
    return this.#listenConnecting;
  }

  async #connectListener(): Promise<pg.Client> {
    const client = new pg.Client({
      ...this.#config,
      application_name: `${this.#config.application_name}-listen`,
    });
    client.on('notification', (message) => {
      for (const listener of this.#listeners.get(message.channel) ?? []) listener(message.payload ?? '');
    });
    client.on('error', () => this.#reconnectListener(client));
    client.on('end', () => this.#reconnectListener(client));
    await client.connect();
    this.#listenClient = client;
    this.#listenConnecting = undefined;
    return client;
  }

  /**
   * A lost LISTEN connection is re-established with backoff. Notifications sent while it was down are
   * lost, which is why every consumer also polls (with backoff) as a safety net.
   */
  #reconnectListener(dead: pg.Client): void {
    if (this.#closed || this.#listenClient !== dead) return;
    this.#listenClient = undefined;
    const retry = (delayMs: number): void => {
      setTimeout(async () => {
        if (this.#closed || this.#listenClient) return;
        try {
          const client = await this.#connectListener();
          for (const name of this.#listeners.keys()) await client.query(`listen "${name}"`);
        } catch {
          this.#listenConnecting = undefined;
          retry(Math.min(delayMs * 2, 5_000));
        }
      }, delayMs).unref();
    };
    retry(100);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const listener = this.#listenClient;
    this.#listenClient = undefined;
    await listener?.end().catch(() => {});
    await this.#pool.end();
  }
}
