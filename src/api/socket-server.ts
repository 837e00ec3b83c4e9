import { chmodSync, statSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import type { Runtime } from '../runtime.ts';
import { createApiApp } from './app.ts';
import type { RunDriver } from './run-driver.ts';

/**
 * The embedded database (PGlite) belongs to one process, so while `run`, `resume`, `worker` or `serve`
 * owns a data dir, every other `ideamine` command reaches it through this unix socket instead of the
 * database. The socket file is the whole protection: mode 0600, so only the owner's uid can connect
 * (Linux checks write permission on connect). It never listens on TCP.
 */

export const SOCKET_FILE_NAME = 'api.sock';

/**
 * Linux's `sockaddr_un.sun_path` holds 108 bytes including the terminating NUL; a longer path cannot
 * be bound, whatever its directory.
 */
export const MAX_SOCKET_PATH_BYTES = 107;

export function socketPathFor(dataDir: string): string {
  return join(dataDir, SOCKET_FILE_NAME);
}

export interface OwnerSocketOptions {
  runtime: Runtime;
  /** Drives the runs created or resumed through the socket, in this process. */
  driver: RunDriver;
}

/** How often an event stream on the socket re-reads the store: PGlite has no cross-connection NOTIFY. */
const SOCKET_SSE_POLL_MS = 250;

/**
 * Serves the whole API on `<home>/api.sock` for the process that owns the embedded data dir. Callers
 * on the socket act as the owner-local principal (every scope, no token): the file mode is the
 * authentication. This is the only place that builds the app with `auth: 'trusted'`, and it never
 * binds a TCP port, so that principal cannot be reached over the network.
 */
export async function serveOwnerSocket(options: OwnerSocketOptions): Promise<SocketServer> {
  const shutdown = new AbortController();
  const app = createApiApp({
    runtime: options.runtime,
    auth: 'trusted',
    driver: options.driver,
    signal: shutdown.signal,
    limits: { ssePollMs: SOCKET_SSE_POLL_MS },
  });
  const server = await startSocketServer({ dataDir: options.runtime.options.home, fetch: app.fetch });
  return {
    path: server.path,
    close: () => {
      shutdown.abort();
      return server.close();
    },
  };
}

export interface SocketServerOptions {
  /** The data dir this process owns (it holds the lock file, so any socket file there is stale). */
  dataDir: string;
  /** Answers every request; the app is built for the owner-local principal by the caller. */
  fetch: (request: Request) => Response | Promise<Response>;
}

export interface SocketServer {
  readonly path: string;
  /** Stops accepting, ends open streams (SSE), removes the socket file. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `fetch` on `<dataDir>/api.sock`. Call it only while holding the data dir's lock: a socket file
 * left there by an owner that was killed (-9) is removed first, since no live process can own it.
 */
export async function startSocketServer(options: SocketServerOptions): Promise<SocketServer> {
  const path = socketPathFor(options.dataDir);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES)
    throw new IdeaMineError(
      ErrorCode.invalidConfig,
      `the API socket path ${path} is ${Buffer.byteLength(path)} bytes; unix sockets allow ${MAX_SOCKET_PATH_BYTES}: use a shorter IDEAMINE_HOME`,
    );
  removeSocketFile(path);
  const server = createServer(getRequestListener(options.fetch));
  await listenPrivately(server, path);
  // A process.exit() (a second Ctrl-C) skips close(): still leave no socket file behind.
  const onExit = () => removeSocketFile(path);
  process.once('exit', onExit);
  let closing: Promise<void> | undefined;
  return {
    path,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SSE followers keep their connections open for as long as a run lasts; end them now.
        server.closeAllConnections();
      }).finally(() => {
        process.off('exit', onExit);
        removeSocketFile(path);
      });
      return closing;
    },
  };
}

/**
 * Binds with a umask of 0177 so that the socket is created 0600: there is no window in which another
 * uid could connect. The bind of a unix socket happens synchronously inside `listen()`, so the umask
 * is restored before anything else runs. The chmod afterwards states the mode explicitly.
 */
async function listenPrivately(server: Server, path: string): Promise<void> {
  const listening = new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const previous = process.umask(0o177);
  try {
    server.listen(path);
  } finally {
    process.umask(previous);
  }
  try {
    await listening;
  } catch (error) {
    throw new IdeaMineError(
      ErrorCode.storageUnavailable,
      `cannot serve the API on ${path}: ${(error as Error).message}`,
      { errorClass: ErrorClass.fatal, cause: error },
    );
  }
  chmodSync(path, 0o600);
}

function removeSocketFile(path: string): void {
  try {
    if (statSync(path).isSocket()) unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
