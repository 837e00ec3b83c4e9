import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import { sha256 } from '../core/ids.ts';

/**
 * The installation's Ed25519 ledger key. The private half lives outside the database — a 0600 PEM
 * file in the IdeaMine home, or `IDEAMINE_LEDGER_KEY` (the PEM itself, or a path to it) — so a
 * database writer can append rows but cannot sign them. It is made on first use. The public half is
 * printed as `ed25519:<base64url of the 32 raw bytes>`; that text is what `--public-key` takes.
 */

/** The key file in the home when `IDEAMINE_LEDGER_KEY` is not set. */
export const LEDGER_KEY_FILE = 'ledger-key.pem';

const PUBLIC_PREFIX = 'ed25519:';

/** A public key the verifier trusts (or a signer's own public half). */
export interface LedgerPublicKey {
  /** First 16 hex digits of sha256 over the raw public key: names the key in statements and messages. */
  readonly keyId: string;
  /** `ed25519:<base64url>`. */
  readonly publicKey: string;
  readonly key: KeyObject;
}

/** A signing key. The private half stays in a private field: it never reaches JSON, logs or inspect. */
export class LedgerKey {
  readonly #privateKey: KeyObject;
  readonly publicKey: LedgerPublicKey;
  /** Where the key came from, for messages: a file path or `IDEAMINE_LEDGER_KEY`. */
  readonly source: string;

  constructor(privateKey: KeyObject, source: string) {
    if (privateKey.asymmetricKeyType !== 'ed25519')
      throw keyError(
        `${source} holds a ${privateKey.asymmetricKeyType} key; the ledger needs Ed25519`,
        source,
      );
    this.#privateKey = privateKey;
    this.publicKey = publicKeyFrom(createPublicKey(privateKey));
    this.source = source;
  }

  /** Base64url Ed25519 signature over the UTF-8 text. */
  sign(text: string): string {
    return sign(null, Buffer.from(text, 'utf8'), this.#privateKey).toString('base64url');
  }

  toJSON(): Record<string, string> {
    return { keyId: this.publicKey.keyId, publicKey: this.publicKey.publicKey, source: this.source };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): Record<string, string> {
    return this.toJSON();
  }
}

export interface LedgerKeyLocation {
  /** IdeaMine home: the default key file is `<home>/ledger-key.pem`. */
  home: string;
  /** `IDEAMINE_LEDGER_KEY`: a PEM private key, or the path of a file holding one. */
  ledgerKey?: string | undefined;
}

/**
 * The signing key: `IDEAMINE_LEDGER_KEY`'s PEM, else its file or the home's key file, made (0600)
 * on first use.
 */
export function loadOrCreateLedgerKey(location: LedgerKeyLocation): LedgerKey {
  const pem = inlinePem(location);
  if (pem) return pem;
  const file = keyFile(location);
  if (!existsSync(file)) createKeyFile(file);
  return readKeyFile(file);
}

/** The signing key if one exists (never makes one): what `ledger verify` trusts by default. */
export function loadLedgerKey(location: LedgerKeyLocation): LedgerKey | undefined {
  const pem = inlinePem(location);
  if (pem) return pem;
  const file = keyFile(location);
  // A configured path that does not exist is a mistake worth saying; a missing default is just "none yet".
  return existsSync(file) || location.ledgerKey?.trim() ? readKeyFile(file) : undefined;
}

function inlinePem(location: LedgerKeyLocation): LedgerKey | undefined {
  const configured = location.ledgerKey?.trim();
  if (!configured?.startsWith('-----BEGIN')) return undefined;
  return new LedgerKey(parsePrivate(configured, 'IDEAMINE_LEDGER_KEY'), 'IDEAMINE_LEDGER_KEY');
}

function keyFile(location: LedgerKeyLocation): string {
  return location.ledgerKey?.trim() || join(location.home, LEDGER_KEY_FILE);
}

function readKeyFile(file: string): LedgerKey {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (error) {
    throw keyError(`cannot read the ledger key file ${file}: ${(error as Error).message}`, file);
  }
  // A key others can read is a key others can sign with: refuse it rather than sign with it.
  if (process.platform !== 'win32' && (mode & 0o077) !== 0)
    throw keyError(
      `the ledger key file ${file} is readable by others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`,
      file,
    );
  return new LedgerKey(parsePrivate(readFileSync(file, 'utf8'), file), file);
}

/**
 * Writes a new key pair to `file` with mode 0600. The key goes to a temporary file first and is
 * linked into place, so two processes making the key at once end up with one complete key: the
 * loser's link fails with EEXIST and it reads the winner's.
 */
function createKeyFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const tmp = `${file}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(tmp);
  }
}

function parsePrivate(pem: string, source: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw keyError(`${source} does not hold a PEM private key`, source);
  }
}

function publicKeyFrom(key: KeyObject): LedgerPublicKey {
  const x = key.export({ format: 'jwk' }).x as string;
  const raw = Buffer.from(x, 'base64url');
  return { keyId: sha256(raw.toString('hex')).slice(0, 16), publicKey: `${PUBLIC_PREFIX}${x}`, key };
}

/**
 * Parses a public key given as `ed25519:<base64url>` or as a PEM `PUBLIC KEY`. Throws INVALID_INPUT
 * (exit 2) naming what was wrong.
 */
export function parsePublicKey(text: string): LedgerPublicKey {
  const value = text.trim();
  try {
    if (value.startsWith(PUBLIC_PREFIX)) {
      const x = value.slice(PUBLIC_PREFIX.length);
      if (Buffer.from(x, 'base64url').length !== 32) throw new Error('not 32 bytes');
      return publicKeyFrom(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }));
    }
    const key = createPublicKey(value);
    if (key.asymmetricKeyType === 'ed25519') return publicKeyFrom(key);
  } catch {
    // reported below
  }
  throw new IdeaMineError(
    ErrorCode.invalidInput,
    'expected an Ed25519 public key: "ed25519:<base64url>" (as `ideamine ledger key` prints it) or a PEM PUBLIC KEY',
    { errorClass: ErrorClass.fatal },
  );
}

/** Whether `signature` (base64url) is `key`'s Ed25519 signature over `text`. */
export function signatureValid(key: LedgerPublicKey, text: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(text, 'utf8'), key.key, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}

function keyError(message: string, source: string): IdeaMineError {
  return new IdeaMineError(ErrorCode.invalidConfig, message, {
    errorClass: ErrorClass.fatal,
    details: { ledgerKey: source },
  });
}
