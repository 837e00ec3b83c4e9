import type { Queryable } from './database.ts';

/** A round trip to the database (readiness probes): resolves when it answers, throws otherwise. */
export async function pingDatabase(q: Queryable): Promise<void> {
  await q.query('select 1');
}

/** The server's version (`server_version`), for `doctor`. */
export async function serverVersion(q: Pick<Queryable, 'query'>): Promise<string | undefined> {
  const rows = await q.query<{ v: string }>("select current_setting('server_version') as v");
  return rows[0]?.v;
}
