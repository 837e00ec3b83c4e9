import type { Database } from '../../src/storage/database.ts';
import { countingDatabase, type StatementCounts } from '../../src/storage/statement-counter.ts';

/** Runs `fn` against a counting view of `db`; returns its result and how many statements it sent. */
export async function countStatements<T>(
  db: Database,
  fn: (counted: Database) => Promise<T>,
): Promise<{ result: T; statements: number; counts: StatementCounts }> {
  const { db: counted, counter } = countingDatabase(db);
  const result = await fn(counted);
  const counts = counter.counts();
  return { result, statements: counts.statements, counts };
}
