import { createHash, randomBytes } from 'node:crypto';
import { invalidInput } from '../core/errors.ts';
import type { Database } from '../storage/database.ts';
import { insertToken, type TokenRecord } from '../storage/token-store.ts';

/**
 * API token secrets: `im_` followed by 43 base64url characters (32 random bytes). The fixed prefix
 * lets secret scanners and our own log redaction recognise one; only its SHA-256 is stored.
 */

export const SCOPES = ['runs:read', 'runs:write', 'tasks:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const TOKEN_PREFIX = 'im_';
/** Matches a token secret anywhere in a string (for redaction). */
export const TOKEN_PATTERN = /\bim_[A-Za-z0-9_-]{43}\b/g;

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** `runs:read,runs:write` → scopes; an unknown or missing scope is a usage error naming the valid ones. */
export function parseScopes(text: string): Scope[] {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw invalidInput(`--scope needs at least one of ${SCOPES.join(', ')}`);
  for (const p of parts)
    if (!isScope(p)) throw invalidInput(`unknown scope "${p}": the scopes are ${SCOPES.join(', ')}`);
  return [...new Set(parts as Scope[])];
}

/** Creates a token and returns its secret, which exists nowhere else afterwards. */
export async function createApiToken(
  db: Database,
  scopes: readonly Scope[],
  name?: string,
): Promise<{ token: TokenRecord; secret: string }> {
  const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const token = await insertToken(db, { hash: hashToken(secret), scopes, name });
  return { token, secret };
}

/** Replaces every token secret in `text` with a marker that keeps only the prefix. */
export function redactTokens(text: string): string {
  return text.replace(TOKEN_PATTERN, `${TOKEN_PREFIX}[redacted]`);
}
