import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSqlInSource, isChecked, readsAsSql } from '../scripts/check-sql.ts';

const script = fileURLToPath(new URL('../scripts/check-sql.ts', import.meta.url));
const run = promisify(execFile);
/** `${name}` as source text (a template substitution written out, not performed). */
const sub = (name: string): string => `$${'{'}${name}}`;

describe('readsAsSql', () => {
  it.each([
    'select key, output from step_results where scope = $1 and position = $2',
    'select __expr__ from timers where key = $1',
    'select count(*) from tasks',
    'SELECT id FROM runs WHERE id = $1',
    'insert into timers (key, kind) values ($1, $2) on conflict (key) do nothing',
    "update timers set state = 'cancelled' where key = $1",
    'update kmap_frames f set status = c.status from c where f.id = c.id',
    'delete from tasks where run_id = $1',
    'with earlier as (select 1) select * from earlier',
    'create table if not exists diag_effects (id uuid)',
    'create unique index if not exists diag_effects_once on diag_effects (key)',
    'drop table timers',
    'select pg_notify($1, $2)',
    "select pg_advisory_xact_lock(hashtext('kmap:' || $1::text))",
    'LISTEN "ideamine_events"',
    'lock table tasks in exclusive mode',
    'select exists (select 1 from runs where id = $1) as found',
  ])('flags %s', (text) => {
    expect(readsAsSql(text)).toBe(true);
  });

  it.each([
    'Select a phase from the list',
    'select a phase from the list',
    'Update the set of gates before the release',
    'Users can export and delete their {subject} data.',
    'never weaken or delete a test to make it pass',
    'Import from the incumbent in one step',
    'interface to listen on',
    'create a token and print its secret once',
    'Create and edit {subject} records',
    'the workspace has no lock file and npm could not resolve its dependency tree',
    'Returning customers from care networks',
    'insert into the list',
    'delete from disk',
  ])('ignores prose: %s', (text) => {
    expect(readsAsSql(text)).toBe(false);
  });
});

describe('findSqlInSource', () => {
  const sample = [
    "const COLUMNS = 'id, key, state';",
    "const LOCK = 'select pg_advisory_xact_lock(42)';",
    'export async function f(db: Db, table: string) {',
    `  await db.query(\`select ${sub('COLUMNS')}`,
    '                  from timers where key = $1`, [1]);',
    "  await db.query('select 1');",
    "  await db.query('update ' + table + ' set usage = $1 where id = $2', [1, 2]);",
    '  await db.query(LOCK);',
    "  throw new Error('select a phase from the list');",
    "  c.req.query('limit');",
    "  /x/.exec('select from');",
    '}',
  ].join('\n');

  it('reports each statement once, at the line it starts, with substitutions as written', () => {
    const hits = findSqlInSource('src/engine/sample.ts', sample);
    expect(hits.map((hit) => [hit.line, hit.text])).toEqual([
      [2, 'select pg_advisory_xact_lock(42)'],
      [4, `select ${sub('COLUMNS')} from timers where key = $1`],
      [6, 'select 1'],
      [7, `update ${sub('table')} set usage = $1 where id = $2`],
    ]);
  });

  it('finds SQL in plain JavaScript modules too', () => {
    const hits = findSqlInSource('src/tools/x.mjs', "export const q = 'delete from tasks where id = $1';");
    expect(hits).toHaveLength(1);
  });
});

describe('isChecked', () => {
  it('reads production sources outside the SQL homes and skips the documented exclusions', () => {
    expect(isChecked('src/engine/timers.ts')).toBe(true);
    expect(isChecked('src/tools/adapters/sbom-driver.mjs')).toBe(true);
    expect(isChecked('src/storage/timer-store.ts')).toBe(false);
    expect(isChecked('src/queue/sql-task-queue.ts')).toBe(false);
    expect(isChecked('src/engine/durability.test.ts')).toBe(false);
    expect(isChecked('src/agents/build/app/templates/runtime.ts')).toBe(false);
    expect(isChecked('src/agents/build/app/spec.ts')).toBe(true);
    expect(isChecked('test/support/events.ts')).toBe(false);
    expect(isChecked('src/engine/README.md')).toBe(false);
  });
});

describe('check-sql script', () => {
  let root: string;
  const write = async (path: string, text: string) => {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'check-sql-'));
    await write('src/storage/timer-store.ts', "export const q = 'select id from timers where key = $1';\n");
    await write('src/queue/claim.ts', "export const q = 'update tasks set state = $1 where id = $2';\n");
    await write(
      'src/engine/steps.test.ts',
      "export const q = 'delete from step_results where scope = $1';\n",
    );
    await write(
      'src/agents/build/app/templates/store.ts',
      "export const q = 'create table if not exists todos (id integer)';\n",
    );
    await write('src/orchestrator/ok.ts', "export const message = 'select a phase from the list';\n");
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('passes a tree whose SQL lives in storage, queue, tests and the generated app only', async () => {
    const { stdout } = await run(process.execPath, [script, root]);
    expect(stdout).toContain('no SQL outside');
  });

  it('fails with file:line and a count when a statement appears elsewhere', async () => {
    await write(
      'src/orchestrator/bad.ts',
      [
        'export async function f(db: { query(sql: string): Promise<unknown> }) {',
        "  await db.query('select usage, budgets from runs where id = $1');",
        '}',
      ].join('\n'),
    );
    const failure = await run(process.execPath, [script, root]).then(
      () => undefined,
      (error: { code: number; stdout: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toContain(
      'src/orchestrator/bad.ts:2  select usage, budgets from runs where id = $1',
    );
    expect(failure?.stdout).toContain('1 SQL statement(s) in 1 file(s)');
  });
});
