import { ErrorCode, IdeaMineError } from '../../core/errors.ts';
import type { Runtime } from '../../runtime.ts';
import { listTokens, revokeToken, type TokenRecord } from '../../storage/token-store.ts';
import { IdParams, INVALID_REQUEST, problem, type RouteTable } from '../route-table.ts';
import { CreatedTokenSchema, CreateTokenSchema, TokenListSchema, TokenSchema } from '../schemas.ts';
import { createApiToken } from '../tokens.ts';
import { tokenView } from '../views.ts';

const TAG = 'tokens';

/** Token administration (admin scope); `ideamine token` uses it when another process owns the data dir. */
export function registerTokenRoutes(routes: RouteTable, rt: Runtime): void {
  routes.add(
    {
      method: 'post',
      path: '/api/tokens',
      summary: 'Create a token; the response is the only place its secret ever appears',
      tag: TAG,
      scopes: ['admin'],
      body: CreateTokenSchema,
      responses: {
        201: { description: 'the token with its secret', schema: CreatedTokenSchema },
        400: INVALID_REQUEST,
      },
    },
    async (c, { body }) => {
      const { token, secret } = await createApiToken(rt.db, [...new Set(body.scopes)], body.name);
      c.header('Cache-Control', 'no-store');
      return c.json({ ...tokenView(token), token: secret }, 201);
    },
  );

  routes.add(
    {
      method: 'get',
      path: '/api/tokens',
      summary: 'List tokens (never their secrets)',
      tag: TAG,
      scopes: ['admin'],
      responses: { 200: { description: 'tokens', schema: TokenListSchema } },
    },
    async (c) => c.json({ tokens: (await listTokens(rt.db)).map(tokenView) }),
  );

  routes.add(
    {
      method: 'post',
      path: '/api/tokens/:id/revoke',
      summary: 'Revoke a token: it gets 401 from the next request on',
      tag: TAG,
      scopes: ['admin'],
      params: IdParams,
      responses: {
        200: { description: 'the revoked token', schema: TokenSchema },
        404: problem('no such active token'),
      },
    },
    async (c, { params }) => {
      if (!(await revokeToken(rt.db, params.id)))
        throw new IdeaMineError(ErrorCode.notFound, `no active token ${params.id}`);
      const revoked = (await listTokens(rt.db)).find((t) => t.id === params.id) as TokenRecord;
      return c.json(tokenView(revoked));
    },
  );
}
