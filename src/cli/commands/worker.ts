import type { Command } from 'commander';
import { parseDurationMs } from '../../core/duration.ts';
import { invalidInput } from '../../core/errors.ts';
import { WorkerPool } from '../../engine/worker-pool.ts';
import { serveMetrics } from '../../observability/metrics-server.ts';
import type { CliContext } from '../context.ts';
import { printJson } from '../output.ts';
import { openOwnerRuntime } from '../with-runtime.ts';

export function registerWorkerCommand(program: Command, cli: CliContext): void {
  program
    .command('worker')
    .description('run a pool of task handlers against the database (DATABASE_URL for a shared Postgres)')
    .option('-c, --concurrency <n>', 'handlers running at once')
    .option('-q, --queue <name...>', 'only claim from these queues')
    .option(
      '--grace <duration>',
      'on SIGTERM, how long in-flight tasks may finish before their leases are released',
      '30s',
    )
    .option(
      '--no-batch',
      'complete each task with its own statement and keep one claim in flight (batched completion is the default)',
    )
    .option(
      '--metrics-port <port>',
      'serve Prometheus metrics at http://127.0.0.1:<port>/metrics (0: any free port)',
    )
    .action(
      async (flags: {
        concurrency?: string;
        queue?: string[];
        grace: string;
        metricsPort?: string;
        batch: boolean;
      }) => {
        const metricsPort = flags.metricsPort === undefined ? undefined : parsePort(flags.metricsPort);
        const options = cli.options(flags.concurrency ? { concurrency: flags.concurrency } : {});
        // On the embedded default this process owns the data dir: it serves the API socket, and drives
        // the runs other commands queue on it (its pool runs their tasks).
        const owner = await openOwnerRuntime(cli, options);
        const runtime = owner.runtime;
        const pool = new WorkerPool({
          queue: runtime.queue,
          handlers: runtime.handlers,
          concurrency: options.concurrency,
          heartbeatMs: options.heartbeatMs,
          // Orphaned tasks wait for their lease to lapse, then for the next sweep: sweeping every tenth
          // of a lease keeps recovery within ~1.1× the lease.
          reclaimEveryMs: Math.max(100, Math.min(5_000, Math.round(options.leaseMs / 10))),
          logger: runtime.logger,
          observer: runtime.metrics.tasks,
          ...(flags.batch ? {} : { batch: false as const }),
          ...(flags.queue ? { queues: flags.queue } : {}),
        });
        const metricsServer =
          metricsPort === undefined
            ? undefined
            : await serveMetrics(runtime.metrics, {
                port: metricsPort,
                onError: (error) =>
                  runtime.logger.warn({ err: (error as Error).message }, 'metrics scrape failed'),
              }).catch(async (error: unknown) => {
                await owner.close();
                throw error;
              });
        await pool.start();
        // Every worker process also supervises: decisions are conditional updates, so several
        // supervisors never apply the same rung twice.
        runtime.supervisor.start();
        printJson({
          event: 'worker.started',
          workerId: pool.workerId,
          pid: process.pid,
          concurrency: options.concurrency,
          batched: flags.batch,
          database: runtime.db.location,
          types: [...runtime.handlers.keys()],
          ...(metricsServer ? { metrics: metricsServer.url } : {}),
        });
        const graceMs = parseDurationMs(flags.grace);
        await waitForShutdown(async (hard) => {
          printJson({
            event: hard ? 'worker.stopping.hard' : 'worker.stopping',
            workerId: pool.workerId,
            inFlight: pool.inFlightCount,
          });
          await owner.driver.stop();
          await pool.stop({ graceMs: hard ? 0 : graceMs });
        });
        await metricsServer?.close();
        await owner.close();
        printJson({ event: 'worker.stopped', workerId: pool.workerId, ...pool.counters });
      },
    );
}

/** A TCP port for --metrics-port: 0 (any free port) to 65535. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535)
    throw invalidInput(
      `--metrics-port: expected a port number from 0 to 65535, got ${JSON.stringify(value)}`,
    );
  return port;
}

/**
 * SIGTERM/SIGINT: graceful stop (drain, then release leases). A second signal: hard stop (abort
 * handlers and release their leases now).
 */
export function waitForShutdown(stop: (hard: boolean) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping: Promise<void> | undefined;
    const onSignal = () => {
      const hard = stopping !== undefined;
      const current = stop(hard);
      stopping ??= current;
      current.then(() => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        resolve();
      }, reject);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
