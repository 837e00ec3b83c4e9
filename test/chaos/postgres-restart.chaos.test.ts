import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnqueueRequest } from '../../src/queue/task-queue.ts';
import { checkChaos, summarize } from './checker.ts';
import {
  between,
  ChaosProcess,
  type ChaosSchema,
  chaosSeed,
  Fleet,
  isCi,
  openChaosSchema,
  printFigures,
  rng,
  scaled,
  sleep,
  waitFor,
} from './harness.ts';
import { findPgBin, startTempPostgres, type TempPostgres } from './temp-postgres.ts';

/**
 * Postgres crashes under the workers: `pg_ctl stop -m immediate` (every server process killed, WAL
 * replay at start), down for a second or two, started again; three times, the last one a `fast`
 * stop. It runs on a private cluster (initdb in a temp dir) so the suites sharing the test server
 * are not hit. What must hold: every task acknowledged before a crash is still acknowledged after
 * it (fsync on: acknowledged = durable), the workers survive and reconnect on their own, nothing is
 * lost, no stale write is accepted, idempotent effects apply once.
 */

const LEASE_MS = 2_000;
const TASKS = scaled(200, 600);
const seed = chaosSeed();
const pgBin = findPgBin();
const IDLE_FIXTURE = new URL('./fixtures/idle-in-transaction.ts', import.meta.url).pathname;
if (!pgBin) {
  if (isCi) throw new Error('Postgres server binaries (initdb, pg_ctl) are missing and CI=true');
  console.warn(
    '[skip] no Postgres server binaries (initdb, pg_ctl): the Postgres restart chaos test is skipped',
  );
}

describe.runIf(pgBin !== undefined)('chaos: Postgres crash-restarts under running workers', () => {
  let pg: TempPostgres;
  let s: ChaosSchema;
  let fleet: Fleet;

  beforeAll(async () => {
    pg = await startTempPostgres();
    s = await openChaosSchema('pgrestart', pg.url);
  }, 120_000);
  afterAll(async () => {
    await fleet?.shutdown();
    await s?.db.close().catch(() => {});
    pg?.destroy();
  });

  it(`loses no acknowledged task, and work resumes after each restart (seed ${seed})`, async () => {
    const random = rng(seed);
    const requests: EnqueueRequest[] = Array.from({ length: TASKS }, () => ({
      type: 'diag.effect',
      leaseMs: LEASE_MS,
      maxAttempts: 15,
      input: { ms: between(random, 500, 1_500), checkpointEveryMs: 100, idempotent: true },
    }));
    const ids = await s.queue.enqueueMany(requests);
    fleet = new Fleet({
      schema: s.schema,
      databaseUrl: pg.url,
      leaseMs: LEASE_MS,
      heartbeatMs: 400,
      concurrency: 6,
    });
    await Promise.all([fleet.start(), fleet.start(), fleet.start()]);

    const restarts: Array<{
      mode: string;
      ackedBefore: number;
      ackedLost: number;
      downMs: number;
      firstAckAfterMs: number | null;
    }> = [];
    const modes: Array<'immediate' | 'fast'> = scaled(
      ['immediate', 'immediate', 'fast'],
      ['immediate', 'immediate', 'fast', 'immediate', 'immediate'],
    );
    for (const mode of modes) {
      await sleep(between(random, 2_000, 3_500));
      const acked = await succeededIds(s);
      const stoppedAt = Date.now();
      pg.stop(mode);
      await sleep(between(random, 1_000, 2_000));
      pg.start();
      const startedAt = Date.now();
      // The harness's own pool reconnects on the next query, like the workers' pools.
      const still = await waitFor(
        'the database to answer again',
        () => succeededIds(s).catch(() => undefined),
        30_000,
        200,
      );
      // Time to the first acknowledgement after the restart (null when no work was left).
      const firstAck = await waitFor(
        'a task acknowledged after the restart',
        async () => {
          const rows = await s.db
            .query<{ acked: number; left: number }>(
              `select count(*) filter (where completed_at > to_timestamp($1 / 1000.0))::int as acked,
                      count(*) filter (where state in ('ready', 'running'))::int as left
                 from tasks`,
              [startedAt],
            )
            .catch(() => [{ acked: 0, left: 1 }]);
          const r = rows[0];
          return (r?.acked ?? 0) > 0 ? Date.now() : r?.left === 0 ? null : undefined;
        },
        60_000,
        100,
      );
      restarts.push({
        mode,
        ackedBefore: acked.size,
        ackedLost: [...acked].filter((id) => !still.has(id)).length,
        downMs: startedAt - stoppedAt,
        firstAckAfterMs: firstAck === null ? null : firstAck - startedAt,
      });
    }
    await waitFor(
      'every task to finish',
      async () =>
        (
          await s.db.query<{ n: number }>(
            `select count(*)::int as n from tasks where state in ('ready', 'running')`,
          )
        )[0]?.n === 0,
      150_000,
      250,
    );
    const alive = fleet.all.every((w) => w.process.alive);
    const deaths = fleet.all
      .filter((w) => !w.process.alive)
      .map((w) => ({ exit: w.process.exit, stderr: w.process.stderrTail.slice(-600) }));
    const counters = await fleet.stopGracefully();
    const report = await checkChaos(s.db, { expectedTaskIds: ids });
    printFigures('postgres-restart', {
      seed,
      restarts,
      workersSurvived: alive,
      workerDeaths: deaths,
      workerCounters: counters.map((c) => ({
        succeeded: c['succeeded'],
        staleRejected: c['staleRejected'],
        leaseLost: c['leaseLost'],
      })),
      ...summarize(report, LEASE_MS),
    });
    expect(restarts.every((r) => r.ackedLost === 0)).toBe(true);
    expect(deaths).toEqual([]);
    expect(report.lost).toBe(0);
    expect(report.byState).toEqual({ succeeded: TASKS });
    expect(report.effects.duplicateKeysIdempotent).toBe(0);
    expect(report.staleWrites.accepted).toBe(0);
  }, 300_000);
});

async function succeededIds(s: ChaosSchema): Promise<Set<string>> {
  const rows = await s.db.query<{ id: string }>(`select id from tasks where state = 'succeeded'`);
  return new Set(rows.map((r) => r.id));
}

/**
 * Regression test for a bug this suite found (fixed in src/storage/postgres-driver.ts): pg-pool
 * removes its idle 'error' listener from a client while the client is checked out, so a connection
 * that broke between two statements of a transaction emitted an unhandled 'error' event and killed
 * the process ("Emitted 'error' event on Client … ECONNRESET"); two of three workers died that way
 * in the restart test above. Reproduction: a process idle inside a transaction while Postgres
 * crashes must survive, and its transaction must fail with an error.
 */
describe.runIf(pgBin !== undefined)('chaos: a transaction open while Postgres crashes', () => {
  let pg: TempPostgres;
  afterAll(() => pg?.destroy());

  it('the process survives and the transaction fails with an error', async () => {
    pg = await startTempPostgres();
    const child = new ChaosProcess('idle-in-transaction', process.execPath, [IDLE_FIXTURE], {
      ...process.env,
      DATABASE_URL: pg.url,
    });
    await child.waitForLine((l) => l['event'] === 'in-transaction', 30_000);
    pg.stop('immediate');
    const exit = await child.exited;
    printFigures('postgres-idle-transaction', { exit, stderr: child.stderrTail.slice(-300) });
    expect(exit.code).toBe(0);
    const survived = child.lines.find((l) => l['event'] === 'survived');
    expect(survived?.['error']).toEqual(expect.any(String));
  }, 120_000);
});
