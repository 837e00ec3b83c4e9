import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Command } from 'commander';
import { createApiApp } from '../../api/app.ts';
import { invalidInput } from '../../core/errors.ts';
import { WorkerPool } from '../../engine/worker-pool.ts';
import type { CliContext } from '../context.ts';
import { printJson } from '../output.ts';
import { openOwnerRuntime } from '../with-runtime.ts';
import { waitForShutdown } from './worker.ts';

interface ServeFlags {
  host: string;
  port: string;
  worker: boolean;
}

/**
 * `ideamine serve`: the HTTP API on TCP. It keeps no state of its own (everything is in the
 * database), so on Postgres any number can run side by side. A run created or resumed through it is
 * driven by this process (the run lease keeps it to one driver), and unless `--no-worker` this
 * process also runs the agent tasks, so a lone `serve` completes runs by itself.
 */
export function registerServeCommand(program: Command, cli: CliContext): void {
  program
    .command('serve')
    .description('serve the HTTP API (bearer tokens: ideamine token create); drives the runs it creates')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'TCP port (0: any free port)', '8420')
    .option('--no-worker', 'do not run tasks in this process (leave them to `ideamine worker` processes)')
    .action(async (flags: ServeFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535)
        throw invalidInput(`--port must be a whole number from 0 to 65535, got "${flags.port}"`);
      const options = cli.options();
      const owner = await openOwnerRuntime(cli, options);
      const rt = owner.runtime;
      const pool = flags.worker
        ? new WorkerPool({
            queue: rt.queue,
            handlers: rt.handlers,
            concurrency: options.concurrency,
            heartbeatMs: options.heartbeatMs,
            logger: rt.logger,
          })
        : undefined;
      const shutdown = new AbortController();
      const app = createApiApp({ runtime: rt, driver: owner.driver, signal: shutdown.signal });
      let server: ReturnType<typeof serve>;
      try {
        server = await listen(app.fetch, flags.host, port);
      } catch (error) {
        await owner.close();
        throw error;
      }
      await pool?.start();
      rt.supervisor.start();
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      printJson({
        event: 'serve.started',
        url: `http://${host}:${address.port}`,
        pid: process.pid,
        database: rt.db.location,
        worker: pool !== undefined,
        ...(owner.socket ? { socket: owner.socket.path } : {}),
      });
      await waitForShutdown(async (hard) => {
        printJson({ event: hard ? 'serve.stopping.hard' : 'serve.stopping', runs: owner.driver.activeRuns });
        shutdown.abort();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          if ('closeAllConnections' in server) server.closeAllConnections();
        });
        // Pauses the runs this process drives (resume continues them), then lets their tasks finish.
        await owner.driver.stop();
        await pool?.stop({ graceMs: hard ? 0 : 10_000 });
      });
      await owner.close();
      printJson({ event: 'serve.stopped' });
    });
}

function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  hostname: string,
  port: number,
): Promise<ReturnType<typeof serve>> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? invalidInput(`port ${port} on ${hostname} is in use: pick another with --port`)
          : error,
      ),
    );
  });
}
