import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { ApiDeps } from '../../src/api/app.ts';
import { createApiToken, type Scope } from '../../src/api/tokens.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import { type ApiServer, startApiServer } from './api-server.ts';
import { dropSchema, POSTGRES_URL, postgresReachable, uniqueSchema } from './services.ts';

/** The backends the API suites run on: PGlite always, Postgres when reachable (required under CI). */
export const API_BACKENDS = [
  { name: 'pglite', available: true },
  { name: 'postgres', available: postgresReachable },
] as const;

export interface ApiFixture {
  rt: Runtime;
  api: ApiServer;
  /** One token per single scope, plus `readWrite` (runs:read + runs:write). */
  tokens: Record<Scope | 'readWrite', string>;
  /** Every line the runtime's logger wrote (to check that no secret reaches a log). */
  logs: string[];
  close(): Promise<void>;
}

/** A runtime on `backend`, tokens for every scope, and the API app on a real port. */
export async function openApiFixture(
  backend: 'pglite' | 'postgres',
  deps: Omit<ApiDeps, 'runtime'> = {},
): Promise<ApiFixture> {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-api-'));
  const schema = backend === 'postgres' ? uniqueSchema('api') : undefined;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const rt = await openRuntime(
    {
      home,
      leaseMs: 30_000,
      logLevel: 'debug',
      model: 'offline',
      ...(schema ? { databaseUrl: POSTGRES_URL, pgSchema: schema } : {}),
    },
    pino({ level: 'debug' }, sink),
  );
  const make = async (scopes: Scope[]) => (await createApiToken(rt.db, scopes)).secret;
  const tokens = {
    'runs:read': await make(['runs:read']),
    'runs:write': await make(['runs:write']),
    'tasks:write': await make(['tasks:write']),
    admin: await make(['admin']),
    readWrite: await make(['runs:read', 'runs:write']),
  };
  const api = await startApiServer({ runtime: rt, ...deps });
  return {
    rt,
    api,
    tokens,
    logs,
    close: async () => {
      await api.close();
      await rt.close();
      if (schema) await dropSchema(schema);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
