import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chainHash,
  type SignedLedgerFixture,
  signedLedgerFixture,
} from '../../test/support/ledger-tamper.ts';
import { ErrorCode } from '../core/errors.ts';
import type { Database } from '../storage/database.ts';
import { openDatabase } from '../storage/open.ts';
import {
  buildLedgerExport,
  type LedgerExport,
  readLedgerExport,
  verifyLedgerExport,
} from './ledger-export.ts';

describe('ledger export file', () => {
  let db: Database;
  let fixture: SignedLedgerFixture;
  let doc: LedgerExport;
  const dir = mkdtempSync(join(tmpdir(), 'ideamine-export-'));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    db = await openDatabase({ driver: 'pglite' });
    fixture = signedLedgerFixture(db);
    doc = await buildLedgerExport(db, await fixture.signedRun());
  });
  afterAll(async () => {
    await db.close();
    fixture.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips through a file and verifies with the public key alone', () => {
    const read = readLedgerExport(write('ok.json', JSON.stringify(doc)));
    expect('invalid' in read).toBe(false);
    const report = verifyLedgerExport(read as LedgerExport, [fixture.key.publicKey]);
    expect(report).toMatchObject({ ok: true, entries: 6, signedHeads: 3, unsignedTail: 0, problems: [] });
    expect(doc.recordedKeys).toEqual([
      { keyId: fixture.key.publicKey.keyId, publicKey: fixture.key.publicKey.publicKey },
    ]);
  });

  it('fails on an entry appended after the last signed head, even a correctly chained one', () => {
    const last = doc.entries.at(-1)!;
    const extra = { ...last, seq: last.seq + 1, id: 'x', data: { added: true }, prevHash: last.hash };
    const added = { ...doc, entries: [...doc.entries, { ...extra, hash: chainHash(last.hash, extra) }] };
    const report = verifyLedgerExport(added, [fixture.key.publicKey]);
    expect(report.problems).toEqual([
      {
        what: '1 entries after the last signed head are not covered by any signature',
        where: `entries after seq ${last.seq}`,
      },
    ]);
  });

  it('fails without a signed head, or when only an untrusted key signed', () => {
    expect(verifyLedgerExport({ ...doc, heads: [] }, [fixture.key.publicKey]).problems).toEqual([
      { what: 'no signed head verifies: nothing vouches for these entries', where: 'the file' },
    ]);
    expect(verifyLedgerExport(doc, []).ok).toBe(false);
  });

  it('reports a file that is not an export; a missing file is a usage error', () => {
    expect(readLedgerExport(write('bad.json', '{"format":'))).toMatchObject({
      invalid: expect.stringMatching(/^not JSON/),
    });
    const { heads: _, ...noHeads } = doc;
    expect(readLedgerExport(write('nohead.json', JSON.stringify(noHeads)))).toEqual({
      invalid: 'not a ledger export: heads: Invalid input: expected array, received undefined',
    });
    expect(() => readLedgerExport(join(dir, 'missing.json'))).toThrow(
      expect.objectContaining({ code: ErrorCode.invalidInput }),
    );
  });
});
