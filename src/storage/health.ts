import type { Queryable } from './database.ts';

/** A round trip to the database (readiness probes): resolves when it answers, throws otherwise. */
export async function pingDatabase(q: Queryable): Promise<void> {
  await q.query('select 1');
}
