import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type ApiDeps, createApiApp } from '../../src/api/app.ts';

/** The API app served over real HTTP on 127.0.0.1, port 0 (the OS picks a free one). */
export interface ApiServer {
  url: string;
  /** fetch against the server with an optional bearer token. */
  call(path: string, init?: RequestInit & { token?: string | undefined; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export async function startApiServer(deps: ApiDeps): Promise<ApiServer> {
  const controller = new AbortController();
  const app = createApiApp({ signal: controller.signal, ...deps });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    call: (path, init = {}) => {
      const { token, json, headers, ...rest } = init;
      return fetch(`${url}${path}`, {
        ...rest,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
          ...(headers as Record<string, string> | undefined),
        },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
    },
    close: async () => {
      controller.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
    },
  };
}
