import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/storage/database.ts';
import { loadMigrations, migrate } from '../../src/storage/migrate.ts';

/** The storage contract, run unchanged on every driver. */
export function storageSuite(name: string, open: () => Promise<Database>): void {
  describe(`storage conformance: ${name}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => db?.close());

    it('has applied every migration once, and applying again is a no-op', async () => {
      const applied = await db.query<{ version: number }>(
        'select version from schema_migrations order by version',
      );
      expect(applied.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));
      expect(await migrate(db)).toEqual([]);
    });

    it('refuses an applied migration whose file changed', async () => {
      const changed = loadMigrations().map((m, i) => (i === 0 ? { ...m, checksum: 'edited' } : m));
      await expect(migrate(db, changed)).rejects.toMatchObject({ code: 'MIGRATION_FAILED' });
    });

    it('returns the same types on every driver: uuid text, jsonb objects, int8 numbers, timestamptz dates', async () => {
      const [row] = await db.query<{ id: string; doc: unknown; n: number; at: Date; b: boolean }>(
        `select gen_random_uuid() as id, '{"a":[1,2]}'::jsonb as doc, 9007199254740::int8 as n, now() as at, true as b`,
      );
      expect(row?.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row?.doc).toEqual({ a: [1, 2] });
      expect(row?.n).toBe(9007199254740);
      expect(row?.at).toBeInstanceOf(Date);
      expect(row?.b).toBe(true);
    });

    it('commits a transaction when it resolves and rolls it back when it throws', async () => {
      await db.exec('create table if not exists conformance_t (v int)');
      await db.exec('delete from conformance_t');
      await db.transaction(async (tx) => {
        await tx.query('insert into conformance_t values (1)');
      });
      await expect(
        db.transaction(async (tx) => {
          await tx.query('insert into conformance_t values (2)');
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await db.query('select v from conformance_t order by v')).toEqual([{ v: 1 }]);
    });

    it('delivers a notification sent inside a transaction on commit, and not on rollback', async () => {
      const got: string[] = [];
      const stop = await db.listen('conformance_channel', (p) => got.push(p));
      await db.transaction(async (tx) => {
        await tx.query('select pg_notify($1, $2)', [db.channel('conformance_channel'), 'committed']);
      });
      await db
        .transaction(async (tx) => {
          await tx.query('select pg_notify($1, $2)', [db.channel('conformance_channel'), 'rolled back']);
          throw new Error('no');
        })
        .catch(() => {});
      const deadline = Date.now() + 3_000;
      while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      await stop();
      expect(got).toEqual(['committed']);
    });

    it('keeps the ledger append-only', async () => {
      await db.query(
        `insert into ledger (type, data, provenance, hash) values ('decision', '{}', '{}', 'h')`,
      );
      await expect(db.query(`update ledger set hash = 'x'`)).rejects.toThrow(/append-only/);
      await expect(db.query('delete from ledger')).rejects.toThrow(/append-only/);
    });

    it('supports what the engine relies on: SKIP LOCKED, recursive CTEs, full-text search', async () => {
      const [cte] = await db.query<{ n: number }>(
        'with recursive r(n) as (select 1 union all select n + 1 from r where n < 5) select max(n)::int as n from r',
      );
      expect(cte?.n).toBe(5);
      const [fts] = await db.query<{ hit: boolean }>(
        `select to_tsvector('english', 'teams share lists') @@ plainto_tsquery('english', 'sharing') as hit`,
      );
      expect(fts?.hit).toBe(true);
      await db.transaction(async (tx) => {
        const rows = await tx.query('select 1 from conformance_t for update skip locked');
        expect(rows).toHaveLength(1);
      });
    });
  });
}
