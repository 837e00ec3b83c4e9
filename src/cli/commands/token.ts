import type { Command } from 'commander';
import type { CreatedTokenView, TokenView } from '../../api/schemas.ts';
import { createApiToken, parseScopes, SCOPES } from '../../api/tokens.ts';
import { tokenView } from '../../api/views.ts';
import { ErrorCode, IdeaMineError } from '../../core/errors.ts';
import { listTokens, revokeToken } from '../../storage/token-store.ts';
import type { CliContext } from '../context.ts';
import { printJson, printLine, printTable } from '../output.ts';
import { withRuntimeOrOwner } from '../with-runtime.ts';
import { requireUuid } from './tasks.ts';

/**
 * `ideamine token create|list|revoke`: bearer tokens of the HTTP API. The secret is printed once and
 * only its hash is stored. While another process (a `serve`) owns the embedded data dir, the
 * commands go through its unix socket.
 */
export function registerTokenCommands(program: Command, cli: CliContext): void {
  const token = program.command('token').description('bearer tokens of the HTTP API');

  token
    .command('create')
    .description(`create a token and print its secret once. Scopes: ${SCOPES.join(', ')} (admin: all)`)
    .requiredOption('-s, --scope <scopes>', 'comma-separated scopes, e.g. runs:read,runs:write')
    .option('-n, --name <name>', 'a label shown by token list')
    .option('--json', 'print JSON')
    .action(async (flags: { scope: string; name?: string; json?: boolean }) => {
      const scopes = parseScopes(flags.scope);
      const created = await withRuntimeOrOwner<CreatedTokenView>(cli, {
        local: async (rt) => {
          const made = await createApiToken(rt.db, scopes, flags.name);
          return { ...tokenView(made.token), token: made.secret };
        },
        owner: (api) =>
          api.post('/api/tokens', { scopes, ...(flags.name === undefined ? {} : { name: flags.name }) }),
      });
      if (flags.json) return printJson(created);
      printLine(`token ${created.id} (${created.scopes.join(', ')})`);
      printLine(created.token);
      printLine('store it now: it is not shown again. Send it as: Authorization: Bearer <token>');
    });

  token
    .command('list')
    .description('list tokens: ids, scopes, last use (never secrets)')
    .option('--json', 'print JSON lines')
    .action(async (flags: { json?: boolean }) => {
      const list = await withRuntimeOrOwner<TokenView[]>(cli, {
        local: async (rt) => (await listTokens(rt.db)).map(tokenView),
        owner: async (api) => (await api.get<{ tokens: TokenView[] }>('/api/tokens')).tokens,
      });
      if (flags.json) for (const t of list) printJson(t);
      else if (list.length === 0) printLine('no tokens: ideamine token create --scope runs:read');
      else
        printTable(
          list.map((t) => ({ ...t, scopes: t.scopes.join(','), state: t.revokedAt ? 'revoked' : 'active' })),
          ['id', 'name', 'scopes', 'state', 'createdAt', 'lastUsedAt'],
        );
    });

  token
    .command('revoke <id>')
    .description('revoke a token: requests with it get 401 from then on')
    .action(async (id: string) => {
      requireUuid(id, 'token id');
      await withRuntimeOrOwner(cli, {
        local: async (rt) => {
          if (!(await revokeToken(rt.db, id)))
            throw new IdeaMineError(ErrorCode.notFound, `no active token ${id} (see ideamine token list)`);
        },
        owner: (api) => api.post(`/api/tokens/${id}/revoke`),
      });
      printLine(`token ${id} revoked`);
    });
}
