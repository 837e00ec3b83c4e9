import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openRuntime, type Runtime } from '../runtime.ts';
import { createApiApp } from './app.ts';
import { createSseParser, isUnreachable, SocketClient, type SseMessage } from './client.ts';
import { BackgroundRunDriver } from './run-driver.ts';
import type { RunView } from './schemas.ts';
import {
  MAX_SOCKET_PATH_BYTES,
  serveOwnerSocket,
  socketPathFor,
  startSocketServer,
} from './socket-server.ts';

const hello = () => new Response('hello');

describe('startSocketServer', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'im-sock-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('creates the socket 0600, answers on it, and removes it on close', async () => {
    const server = await startSocketServer({ dataDir: dir, fetch: hello });
    const stat = statSync(server.path);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
    const response = await new SocketClient({ socketPath: server.path }).stream('/', () => {});
    expect(await response.done).toBe('ended');
    await server.close();
    await server.close(); // idempotent
    expect(readdirSync(dir)).not.toContain('api.sock');
  });

  test('a socket file left by a killed owner is replaced (nobody listens on it)', async () => {
    // What kill -9 of an owner leaves: the socket file, with nobody listening on it.
    const holder = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(socketPathFor(dir))}, () => console.log('up'))`,
    ]);
    await once(holder.stdout, 'data');
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    expect(statSync(socketPathFor(dir)).isSocket()).toBe(true);
    const refused = await new SocketClient({ socketPath: socketPathFor(dir) }).get('/').catch((e) => e);
    expect(isUnreachable(refused)).toBe(true);

    const server = await startSocketServer({ dataDir: dir, fetch: hello });
    expect(statSync(server.path).mode & 0o777).toBe(0o600);
    const text = await new Promise<string>((resolve) => {
      let body = '';
      void new SocketClient({ socketPath: server.path })
        .stream('/', (m) => {
          body += m.data;
        })
        .then(async (s) => {
          await s.done;
          resolve(body);
        });
    });
    expect(text).toBe(''); // not an event stream: no messages, but the connection was answered
    await server.close();
  });

  test('refuses to remove a file at the socket path that is not a socket', async () => {
    const path = socketPathFor(dir);
    writeFileSync(path, 'not a socket');
    await expect(startSocketServer({ dataDir: dir, fetch: hello })).rejects.toThrow(/cannot serve the API/);
    expect(readFileSync(path, 'utf8')).toBe('not a socket');
    rmSync(path);
  });

  test('a data dir too deep for a unix socket path is a config error naming the limit', async () => {
    const deep = join(dir, 'x'.repeat(MAX_SOCKET_PATH_BYTES));
    await expect(startSocketServer({ dataDir: deep, fetch: hello })).rejects.toThrow(
      new RegExp(`unix sockets allow ${MAX_SOCKET_PATH_BYTES}`),
    );
  });
});

describe('serveOwnerSocket', () => {
  let home: string;
  let rt: Runtime;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'im-owner-'));
    rt = await openRuntime({ home, leaseMs: 30_000, logLevel: 'silent', model: 'offline' });
  });
  afterAll(async () => {
    await rt.close();
    rmSync(home, { recursive: true, force: true });
  });

  test('the socket acts with every scope and no token; the same app on TCP demands a token', async () => {
    const driver = new BackgroundRunDriver({ orchestrator: rt.orchestrator, logger: rt.logger });
    const socket = await serveOwnerSocket({ runtime: rt, driver: { drive: () => {} } });
    const tcp = serve({ fetch: createApiApp({ runtime: rt, driver }).fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => tcp.once('listening', r));
    try {
      const api = new SocketClient({ socketPath: socket.path });
      const created = await api.post<RunView>('/api/runs', {
        description: 'A shared todo app for small teams',
      });
      expect(created.status).toBe('pending');
      expect((await api.get<{ runs: RunView[] }>('/api/runs')).runs.map((r) => r.id)).toEqual([created.id]);
      const paused = await api.post<RunView>(`/api/runs/${created.id}/pause`);
      expect(paused.signal).toBe('pause');

      const { port } = tcp.address() as { port: number };
      const anonymous = await fetch(`http://127.0.0.1:${port}/api/runs`);
      expect(anonymous.status).toBe(401);
      // No header, proxy field or query turns a TCP caller into the owner.
      const spoofed = await fetch(`http://127.0.0.1:${port}/api/runs`, {
        headers: { authorization: 'Bearer owner-local', 'x-forwarded-for': 'unix' },
      });
      expect(spoofed.status).toBe(401);
    } finally {
      await new Promise<void>((r) => tcp.close(() => r()));
      await socket.close();
    }
  });

  test('an API error comes back as the same error code and message', async () => {
    const socket = await serveOwnerSocket({ runtime: rt, driver: { drive: () => {} } });
    try {
      const api = new SocketClient({ socketPath: socket.path });
      const missing = await api.get('/api/runs/00000000-0000-4000-8000-000000000000').catch((e) => e);
      expect(missing).toMatchObject({ code: 'NOT_FOUND', details: { status: 404 } });
      const invalid = (await api.post('/api/runs', { description: 'x' }).catch((e: unknown) => e)) as Error;
      expect(invalid).toMatchObject({ code: 'INVALID_INPUT', details: { status: 400 } });
      expect(String(invalid.message)).toMatch(/description/);
    } finally {
      await socket.close();
    }
  });
});

describe('createSseParser', () => {
  test('reassembles events split anywhere, across CRLF, skipping comments', () => {
    const wire = ': keep-alive\r\n\r\nid: 1\r\ndata: {"a":1}\r\n\r\nid: 2\nevent: tick\ndata: x\ndata: y\n\n';
    for (let cut = 0; cut <= wire.length; cut++) {
      const got: SseMessage[] = [];
      const feed = createSseParser((m) => got.push(m));
      feed(wire.slice(0, cut));
      feed(wire.slice(cut));
      expect(got).toEqual([
        { id: '1', event: 'message', data: '{"a":1}' },
        { id: '2', event: 'tick', data: 'x\ny' },
      ]);
    }
  });
});
