import type { MiddlewareHandler } from 'hono';
import type { Database } from '../storage/database.ts';
import { findActiveToken, touchToken } from '../storage/token-store.ts';
import { forbidden, unauthorized } from './http-errors.ts';
import { hashToken, isScope, type Scope } from './tokens.ts';

export type { Scope } from './tokens.ts';

/** Who is calling: a token (by id, never by secret) and what it may do. */
export interface Principal {
  tokenId: string | null;
  scopes: ReadonlySet<Scope>;
}

export interface ApiEnv {
  Variables: { principal: Principal };
}

/**
 * `tokens`: every `/api` request needs `Authorization: Bearer im_…`. `trusted`: every caller has
 * every scope — only for a transport that is already access-controlled, such as a unix socket
 * whose file mode admits only the data dir's owner.
 */
export type AuthMode = 'tokens' | 'trusted';

const TRUSTED: Principal = { tokenId: null, scopes: new Set(['admin']) };
// last_used_at is a hint for `token list`, not an audit log: one write a minute per token is enough.
const TOUCH_EVERY_MS = 60_000;

/** Resolves the caller's principal from the bearer token; 401 when it is missing, unknown or revoked. */
export function authenticate(db: Database, mode: AuthMode): MiddlewareHandler<ApiEnv> {
  const touched = new Map<string, number>();
  return async (c, next) => {
    if (mode === 'trusted') {
      c.set('principal', TRUSTED);
      return next();
    }
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized('this endpoint needs a bearer token: Authorization: Bearer im_…');
    const token = await findActiveToken(db, hashToken(match[1] as string));
    if (!token) throw unauthorized('the bearer token is unknown or revoked');
    c.set('principal', { tokenId: token.id, scopes: new Set(token.scopes.filter(isScope)) });
    const now = Date.now();
    if ((touched.get(token.id) ?? 0) + TOUCH_EVERY_MS < now) {
      touched.set(token.id, now);
      await touchToken(db, token.id);
    }
    return next();
  };
}

/** Admits a caller holding any of `scopes` (or `admin`); 403 naming the scope otherwise. */
export function requireScope(scopes: readonly Scope[]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const held = c.get('principal').scopes;
    if (!held.has('admin') && !scopes.some((s) => held.has(s)))
      throw forbidden(`this endpoint needs the scope ${scopes.join(' or ')}`);
    return next();
  };
}
