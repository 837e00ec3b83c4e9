import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/open.ts';
import { drivers, dropSchema, POSTGRES_URL, postgresReachable, uniqueSchema } from '../support/services.ts';
import { storageSuite } from './storage-suite.ts';

for (const driver of drivers) {
  describe.runIf(driver.available)(`storage (${driver.name})`, () => storageSuite(driver.name, driver.open));
}

describe.runIf(postgresReachable)('migrations on Postgres', () => {
  it('are safe when several openers (separate connection pools) start at once', async () => {
    const schema = uniqueSchema('migrate');
    try {
      const opened = await Promise.all(
        Array.from({ length: 4 }, () =>
          openDatabase({ driver: 'postgres', url: POSTGRES_URL, schema, poolSize: 2 }),
        ),
      );
      const [first] = opened;
      const versions = await first!.query<{ version: number; n: number }>(
        'select version, count(*)::int as n from schema_migrations group by version',
      );
      expect(versions.every((v) => v.n === 1)).toBe(true);
      await Promise.all(opened.map((db) => db.close()));
    } finally {
      await dropSchema(schema);
    }
  });
});
