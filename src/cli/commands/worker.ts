import type { Command } from 'commander';
import { parseDurationMs } from '../../core/duration.ts';
import { WorkerPool } from '../../engine/worker-pool.ts';
import { openRuntime } from '../../runtime.ts';
import type { CliContext } from '../context.ts';
import { printJson } from '../output.ts';

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
    .action(async (flags: { concurrency?: string; queue?: string[]; grace: string }) => {
      const options = cli.options(flags.concurrency ? { concurrency: flags.concurrency } : {});
      const runtime = await openRuntime(options, cli.logger(options));
      const pool = new WorkerPool({
        queue: runtime.queue,
        handlers: runtime.handlers,
        concurrency: options.concurrency,
        heartbeatMs: options.heartbeatMs,
        // Orphaned tasks wait for their lease to lapse, then for the next sweep: sweeping every tenth
        // of a lease keeps recovery within ~1.1× the lease.
        reclaimEveryMs: Math.max(100, Math.min(5_000, Math.round(options.leaseMs / 10))),
        logger: runtime.logger,
        ...(flags.queue ? { queues: flags.queue } : {}),
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
        database: runtime.db.location,
        types: [...runtime.handlers.keys()],
      });
      const graceMs = parseDurationMs(flags.grace);
      await waitForShutdown(async (hard) => {
        printJson({
          event: hard ? 'worker.stopping.hard' : 'worker.stopping',
          workerId: pool.workerId,
          inFlight: pool.inFlightCount,
        });
        await pool.stop({ graceMs: hard ? 0 : graceMs });
      });
      await runtime.close();
      printJson({ event: 'worker.stopped', workerId: pool.workerId, ...pool.counters });
    });
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
