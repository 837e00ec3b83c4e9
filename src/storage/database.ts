/**
 * The storage port. Two drivers implement it (PGlite embedded, Postgres server) with one SQL dialect:
 * the Postgres 15 subset. Callers branch on `capabilities`, never on the driver's name.
 */

export type Row = Record<string, unknown>;

export interface Queryable {
  /** Runs one parameterised statement and returns its rows. */
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface DatabaseCapabilities {
  /** NOTIFY from any connection reaches LISTEN in every process (real Postgres). */
  readonly listenNotify: boolean;
  /** Several processes may open the database at once. */
  readonly multiProcess: boolean;
  /** Commits are fsynced: acknowledged writes survive power loss, not only a process crash. */
  readonly durableFsync: boolean;
}

export type Unsubscribe = () => Promise<void>;

export interface Database extends Queryable {
  /** For display (doctor, logs) only; code decides by `capabilities`. */
  readonly driver: 'pglite' | 'postgres';
  readonly capabilities: DatabaseCapabilities;
  /** Where the data lives, for display: a data dir or a redacted URL. */
  readonly location: string;
  /**
   * Runs `fn` in one transaction; commits when it resolves, rolls back when it throws.
   * Never await a model, a tool or the network inside: on PGlite it blocks every other query.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Subscribes to a notification channel. Payloads sent with `pg_notify` inside a transaction arrive on commit. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<Unsubscribe>;
  /** The channel name as seen by the server (drivers namespace channels per schema). */
  channel(name: string): string;
  close(): Promise<void>;
}
