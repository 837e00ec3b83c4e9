import type { Queryable } from './database.ts';

/**
 * API tokens. The table holds the SHA-256 of each secret, never the secret, so nothing read from it
 * (a backup, `token list`, a log) can be presented as a bearer token.
 */

export interface TokenRecord {
  id: string;
  name: string | null;
  scopes: string[];
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

type R = Record<string, unknown>;
const COLUMNS = 'id, name, scopes, created_at, revoked_at, last_used_at';

function toToken(r: R): TokenRecord {
  return {
    id: r['id'] as string,
    name: (r['name'] as string | null) ?? null,
    scopes: r['scopes'] as string[],
    createdAt: r['created_at'] as Date,
    revokedAt: (r['revoked_at'] as Date | null) ?? null,
    lastUsedAt: (r['last_used_at'] as Date | null) ?? null,
  };
}

export async function insertToken(
  q: Queryable,
  token: { hash: string; scopes: readonly string[]; name?: string | undefined },
): Promise<TokenRecord> {
  const rows = await q.query(
    `insert into api_tokens (hash, scopes, name) values ($1, $2, $3) returning ${COLUMNS}`,
    [token.hash, [...token.scopes], token.name ?? null],
  );
  return toToken(rows[0] as R);
}

/** The live (not revoked) token with this secret hash. */
export async function findActiveToken(q: Queryable, hash: string): Promise<TokenRecord | undefined> {
  const rows = await q.query(`select ${COLUMNS} from api_tokens where hash = $1 and revoked_at is null`, [
    hash,
  ]);
  return rows[0] ? toToken(rows[0]) : undefined;
}

export async function listTokens(q: Queryable): Promise<TokenRecord[]> {
  const rows = await q.query(`select ${COLUMNS} from api_tokens order by created_at, id`);
  return rows.map(toToken);
}

/** Revokes a token by id; false when there is no such live token. */
export async function revokeToken(q: Queryable, id: string): Promise<boolean> {
  const rows = await q.query(
    'update api_tokens set revoked_at = now() where id = $1 and revoked_at is null returning id',
    [id],
  );
  return rows.length > 0;
}

export async function touchToken(q: Queryable, id: string): Promise<void> {
  await q.query('update api_tokens set last_used_at = now() where id = $1', [id]);
}
