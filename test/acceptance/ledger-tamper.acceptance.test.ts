import { createPrivateKey } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/storage/database.ts';
import { openDatabase } from '../../src/storage/open.ts';
import { runCli } from '../support/cli.ts';
import {
  cutTail,
  deleteAllEntries,
  editEntryAndRecompute,
  entrySeqs,
  signedLedgerFixture,
  swapEntriesAndRecompute,
} from '../support/ledger-tamper.ts';
import { openTestPostgres, POSTGRES_URL, postgresReachable } from '../support/services.ts';

/** The 13 phases of config/phases, each signed when it ends. */
const PHASES = [
  ...['intake', 'ideation', 'critique', 'prd', 'bizdev', 'architecture', 'build'],
  ...['security', 'story-loop', 'qa', 'aesthetic', 'release', 'beta'],
];

type Tamper = (db: Database, runId: string, seqs: number[]) => Promise<void>;

/** The four attacks of the tamper suite; each expects `ledger verify` to name what and where. */
const ATTACKS: Array<{ name: string; tamper: Tamper; expected: (seqs: number[]) => RegExp }> = [
  {
    name: 'edit one entry and recompute the chain',
    tamper: (db, runId, seqs) => editEntryAndRecompute(db, runId, seqs[3] as number, { forged: true }),
    expected: () =>
      /entries (after seq \d+ )?up to seq \d+ differ from what was signed .* — at signed head [0-9a-f]{16}#\d+ \(/,
  },
  {
    name: 'cut the tail',
    tamper: (db, runId) => cutTail(db, runId, 3),
    expected: (seqs) =>
      new RegExp(
        `entry seq ${seqs.at(-1)} is gone: ${seqs.length - 3} of the ${seqs.length} signed entries up to it remain`,
      ),
  },
  {
    name: 'delete every entry of the run',
    tamper: (db, runId) => deleteAllEntries(db, runId),
    expected: () => /the run has no entries left; this head signed \d+ \(all deleted\) — at signed head/,
  },
  {
    name: 'swap two entries and recompute the chain',
    tamper: (db, runId, seqs) => swapEntriesAndRecompute(db, runId, seqs[5] as number, seqs[6] as number),
    expected: () => /differ from what was signed \(edited, reordered or deleted, chain recomputed\)/,
  },
];

function expectBroken(
  result: { code: number | null; stdout: string; stderr: string },
  expected: RegExp,
): void {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/^ledger BROKEN: run [0-9a-f-]{36}, \d+ problems\n/);
  expect(result.stdout).toMatch(expected);
}

/**
 * Through the real CLI: a full offline run signs its ledger head at every phase boundary and at its
 * end; `ledger verify` passes on it and fails (exit 1, what and where) after each attack by a
 * database writer who switches the append-only trigger off and recomputes the hash chain — on the
 * embedded database (copies of the run's data dir) and on Postgres. `ledger export` writes a file that
 * `ledger verify --file --public-key` checks with nothing else, and that fails once edited.
 */
describe('acceptance: signed ledger, tamper suite through the CLI', () => {
  const root = mkdtempSync(join(tmpdir(), 'ideamine-ledger-acc-'));
  const home = join(root, 'home');
  let runId = '';
  let seqs: number[] = [];
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  beforeAll(async () => {
    const run = await runCli(
      ['run', 'A shared todo app for small teams', '--json'],
      { IDEAMINE_HOME: home },
      480_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    runId = String(
      (JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>)['runId'],
    );
    const db = await openDatabase({ driver: 'pglite', dataDir: home });
    try {
      seqs = await entrySeqs(db, runId);
    } finally {
      await db.close();
    }
  }, 540_000);

  it('an untouched run verifies; the key is 0600 and appears in no output, database file or journal', async () => {
    const ok = await runCli(['ledger', 'verify', runId.slice(0, 8)], { IDEAMINE_HOME: home });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    // 13 phases, each signed when it ended, and the run's end: at least 14 heads, the last one covering every entry.
    const m =
      /^ledger ok: run ([0-9a-f-]{36}), (\d+) entries, chain intact, (\d+) signed heads verified \(last: run succeeded, seq (\d+)\)\n$/.exec(
        ok.stdout,
      );
    expect(m, ok.stdout).not.toBeNull();
    expect(Number(m?.[2])).toBe(seqs.length);
    expect(Number(m?.[3])).toBeGreaterThanOrEqual(14);
    expect(Number(m?.[4])).toBe(seqs.at(-1));

    const keyFile = join(home, 'ledger-key.pem');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const secret = createPrivateKey(readFileSync(keyFile, 'utf8')).export({ format: 'jwk' }).d as string;
    const pemBody = readFileSync(keyFile, 'utf8').split('\n')[1] as string;
    const journal = readFileSync(join(home, 'ledger-heads.jsonl'), 'utf8');
    const signedAt = journal
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { statement: { at: string } }).statement.at);
    expect(signedAt).toHaveLength(Number(m?.[3]));
    for (const phase of PHASES) expect(signedAt).toContain(`phase ${phase} passed`);
    expect(signedAt.at(-1)).toBe('run succeeded');
    for (const file of [...walk(join(home, 'pgdata')), join(home, 'ledger-heads.jsonl')]) {
      const bytes = readFileSync(file);
      expect(bytes.includes(secret), file).toBe(false);
      expect(bytes.includes(pemBody), file).toBe(false);
    }
    expect(ok.stdout + journal).not.toContain(secret);
  });

  it('an export verifies with nothing but the public key, and fails once an entry in it is edited', async () => {
    const key = await runCli(['ledger', 'key'], { IDEAMINE_HOME: home });
    expect(key.code).toBe(0);
    const publicKey = key.stdout.split('\n')[0] as string;
    expect(publicKey).toMatch(/^ed25519:[A-Za-z0-9_-]{43}$/);
    const file = join(root, 'export.json');
    const exported = await runCli(['ledger', 'export', runId, '--out', file], { IDEAMINE_HOME: home });
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain(
      `verify with: ideamine ledger verify --file ${file} --public-key ${publicKey}`,
    );

    const elsewhere = join(root, 'elsewhere'); // no database, no key, no journal
    const verified = await runCli(['ledger', 'verify', '--file', file, '--public-key', publicKey], {
      IDEAMINE_HOME: elsewhere,
    });
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(
      new RegExp(`^ledger ok: run ${runId}, ${seqs.length} entries, chain intact`),
    );
    expect(existsSync(elsewhere)).toBe(false);

    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.entries[2].data.tampered = true;
    writeFileSync(file, JSON.stringify(doc));
    const broken = await runCli(['ledger', 'verify', '--file', file, '--public-key', publicKey], {
      IDEAMINE_HOME: elsewhere,
    });
    expectBroken(broken, new RegExp(`content does not match its hash — at entry seq ${seqs[2]}\\n`));

    const noKey = await runCli(['ledger', 'verify', '--file', file], { IDEAMINE_HOME: elsewhere });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--file needs --public-key');
  });

  for (const attack of ATTACKS)
    it(`caught: ${attack.name} (embedded database)`, async () => {
      const copy = join(root, attack.name.replaceAll(' ', '-'));
      cpSync(home, copy, { recursive: true });
      const db = await openDatabase({ driver: 'pglite', dataDir: copy });
      try {
        await attack.tamper(db, runId, seqs);
      } finally {
        await db.close();
      }
      const result = await runCli(['ledger', 'verify', runId], { IDEAMINE_HOME: copy });
      expectBroken(result, attack.expected(seqs));
      rmSync(copy, { recursive: true, force: true });
    });

  it('a key file others can read is refused, naming the file (exit 3)', async () => {
    const copy = join(root, 'loose-key');
    cpSync(home, copy, { recursive: true });
    chmodSync(join(copy, 'ledger-key.pem'), 0o644);
    const result = await runCli(['ledger', 'verify', runId], { IDEAMINE_HOME: copy });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      `the ledger key file ${join(copy, 'ledger-key.pem')} is readable by others`,
    );
  });
});

describe.skipIf(!postgresReachable)(
  'acceptance: signed ledger tamper suite on Postgres, through the CLI',
  () => {
    let db: Database & { schema: string };
    let fixture: ReturnType<typeof signedLedgerFixture>;
    const env = () => ({
      IDEAMINE_HOME: fixture.home,
      DATABASE_URL: POSTGRES_URL,
      IDEAMINE_PG_SCHEMA: db.schema,
    });
    beforeAll(async () => {
      db = await openTestPostgres();
      fixture = signedLedgerFixture(db);
    });
    afterAll(async () => {
      fixture?.close();
      await db?.close();
    });

    it('an untouched run verifies', async () => {
      const runId = await fixture.signedRun(4, 3);
      const result = await runCli(['ledger', 'verify', runId], env());
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(
        `ledger ok: run ${runId}, 12 entries, chain intact, 5 signed heads verified (last: run succeeded, seq ${(await entrySeqs(db, runId)).at(-1)})\n`,
      );
    });

    for (const attack of ATTACKS)
      it(`caught: ${attack.name}`, async () => {
        const runId = await fixture.signedRun(4, 3);
        const seqs = await entrySeqs(db, runId);
        await attack.tamper(db, runId, seqs);
        expectBroken(await runCli(['ledger', 'verify', runId], env()), attack.expected(seqs));
      });
  },
);

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}
