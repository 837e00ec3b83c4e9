import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../core/errors.ts';
import {
  LEDGER_KEY_FILE,
  loadLedgerKey,
  loadOrCreateLedgerKey,
  parsePublicKey,
  signatureValid,
} from './ledger-key.ts';

describe('ledger key', () => {
  const homes: string[] = [];
  const freshHome = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ideamine-key-'));
    homes.push(dir);
    return join(dir, 'home'); // not there yet: made on first use
  };
  afterEach(() => {
    for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
  });

  it('is made on first use as a 0600 file in a 0700 home, and the same key is loaded afterwards', () => {
    const home = freshHome();
    expect(loadLedgerKey({ home })).toBeUndefined();
    const made = loadOrCreateLedgerKey({ home });
    const file = join(home, LEDGER_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(made.source).toBe(file);
    expect(loadOrCreateLedgerKey({ home }).publicKey.publicKey).toBe(made.publicKey.publicKey);
    expect(loadLedgerKey({ home })?.publicKey.keyId).toBe(made.publicKey.keyId);
    expect(made.publicKey.publicKey).toMatch(/^ed25519:[A-Za-z0-9_-]{43}$/);
    expect(made.publicKey.keyId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses a key file others can read, naming the file', () => {
    const home = freshHome();
    loadOrCreateLedgerKey({ home });
    const file = join(home, LEDGER_KEY_FILE);
    chmodSync(file, 0o644);
    for (const load of [() => loadLedgerKey({ home }), () => loadOrCreateLedgerKey({ home })]) {
      expect(load).toThrow(expect.objectContaining({ code: ErrorCode.invalidConfig }));
      expect(load).toThrow(
        `the ledger key file ${file} is readable by others (mode 644); run: chmod 600 ${file}`,
      );
    }
  });

  it('IDEAMINE_LEDGER_KEY may hold the PEM itself or name a key file, made there on first use', () => {
    const home = freshHome();
    const made = loadOrCreateLedgerKey({ home });
    const pem = readFileSync(join(home, LEDGER_KEY_FILE), 'utf8');
    const inline = loadLedgerKey({ home: freshHome(), ledgerKey: pem });
    expect(inline?.publicKey.keyId).toBe(made.publicKey.keyId);
    expect(inline?.source).toBe('IDEAMINE_LEDGER_KEY');

    const elsewhere = join(freshHome(), 'keys', 'ledger.pem');
    expect(() => loadLedgerKey({ home, ledgerKey: elsewhere })).toThrow(
      `cannot read the ledger key file ${elsewhere}`,
    );
    const there = loadOrCreateLedgerKey({ home, ledgerKey: elsewhere });
    expect(there.source).toBe(elsewhere);
    expect(statSync(elsewhere).mode & 0o777).toBe(0o600);
    expect(() => loadLedgerKey({ home, ledgerKey: '-----BEGIN PRIVATE KEY-----\nnope\n' })).toThrow(
      'IDEAMINE_LEDGER_KEY does not hold a PEM private key',
    );
  });

  it('never shows its private half in JSON or inspect', () => {
    const key = loadOrCreateLedgerKey({ home: freshHome() });
    const pem = readFileSync(key.source, 'utf8');
    const body = pem.split('\n')[1] as string;
    for (const text of [JSON.stringify(key), inspect(key, { depth: 10, showHidden: true }), String(key)]) {
      expect(text).not.toContain('PRIVATE');
      expect(text).not.toContain(body);
    }
  });

  it('signs; the signature verifies under its public key in either text form, and nothing else', () => {
    const key = loadOrCreateLedgerKey({ home: freshHome() });
    const other = loadOrCreateLedgerKey({ home: freshHome() });
    const signature = key.sign('head 1');
    const asText = parsePublicKey(key.publicKey.publicKey);
    const asPem = parsePublicKey(key.publicKey.key.export({ type: 'spki', format: 'pem' }).toString());
    for (const k of [asText, asPem]) {
      expect(k.keyId).toBe(key.publicKey.keyId);
      expect(signatureValid(k, 'head 1', signature)).toBe(true);
      expect(signatureValid(k, 'head 2', signature)).toBe(false);
    }
    expect(signatureValid(other.publicKey, 'head 1', signature)).toBe(false);
    expect(signatureValid(asText, 'head 1', 'not-a-signature')).toBe(false);
  });

  it('rejects a public key that is not Ed25519 with a usage error', () => {
    for (const bad of [
      'ed25519:short',
      'hello',
      '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
    ])
      expect(() => parsePublicKey(bad)).toThrow(expect.objectContaining({ code: ErrorCode.invalidInput }));
  });
});
