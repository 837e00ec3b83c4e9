import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { seedFromTemplate } from './pglite-template.ts';

describe('seedFromTemplate', () => {
  const root = mkdtempSync(join(tmpdir(), 'ideamine-template-'));
  const template = join(root, 'cache', 'pglite-pgdata');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('builds the template once, then every new data dir is a copy that opens as a cluster', async () => {
    const first = join(root, 'a', 'pgdata');
    expect(await seedFromTemplate(first, [template])).toBe(true);
    expect(existsSync(join(template, 'PG_VERSION'))).toBe(true);
    const built = statSync(join(template, 'PG_VERSION')).mtimeMs;

    const second = join(root, 'b', 'pgdata');
    mkdirSync(second, { recursive: true }); // an empty dir counts as new
    expect(await seedFromTemplate(second, [template])).toBe(true);
    expect(statSync(join(template, 'PG_VERSION')).mtimeMs).toBe(built);

    for (const dir of [first, second]) {
      const pg = await PGlite.create({ dataDir: dir });
      await pg.exec('create table t (v int); insert into t values (1)');
      expect((await pg.query<{ n: number }>('select count(*)::int as n from t')).rows[0]?.n).toBe(1);
      await pg.close();
    }
    // The copies are independent: the template holds no table t.
    const third = join(root, 'c', 'pgdata');
    await seedFromTemplate(third, [template]);
    const pg = await PGlite.create({ dataDir: third });
    expect((await pg.query(`select 1 from pg_tables where tablename = 't'`)).rows).toHaveLength(0);
    await pg.close();
    // No staging directories are left behind.
    expect(readdirSync(join(root, 'a')).sort()).toEqual(['pgdata']);
  }, 120_000);

  it('leaves a data dir that already holds something alone', async () => {
    const used = join(root, 'd', 'pgdata');
    mkdirSync(used, { recursive: true });
    writeFileSync(join(used, 'something'), 'x');
    expect(await seedFromTemplate(used, [template])).toBe(false);
    expect(readdirSync(used)).toEqual(['something']);
  });

  it('falls back (false) when no template location is writable', async () => {
    const blocker = join(root, 'file');
    writeFileSync(blocker, 'not a dir');
    expect(await seedFromTemplate(join(root, 'e', 'pgdata'), [join(blocker, 'tpl')])).toBe(false);
  }, 120_000);
});
