import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnqueueRequest } from '../../src/queue/task-queue.ts';
import { postgresReachable } from '../support/services.ts';
import { checkChaos, type FaultRecord, summarize } from './checker.ts';
import {
  between,
  type ChaosSchema,
  chaosSeed,
  Fleet,
  openChaosSchema,
  printFigures,
  rng,
  runningTasksOf,
  scaled,
  sleep,
  unfinished,
  waitFor,
} from './harness.ts';

/**
 * Zombies: a worker is SIGSTOPped for longer than its lease, its tasks are re-claimed by the others,
 * then it gets SIGCONT and carries on as if nothing happened. Every write it then makes for the old
 * attempts (checkpoints, completions) must be rejected by the fence and counted, none accepted, and
 * idempotent effects still applied once. The handlers checkpoint every slice, so a resumed zombie
 * writes at once: the rejection is certain, not a race.
 */

const TASKS = scaled(90, 180);
const LEASE_MS = 2_000;
const ROUNDS = scaled(2, 4);
const seed = chaosSeed();

describe.runIf(postgresReachable)('chaos: SIGSTOP a worker past its lease, then SIGCONT', () => {
  let s: ChaosSchema;
  let fleet: Fleet;

  beforeAll(async () => {
    s = await openChaosSchema('zombie');
  });
  afterAll(async () => {
    await fleet?.shutdown();
    await s?.close();
  });

  it(`rejects and counts every stale write of the zombie (seed ${seed})`, async () => {
    const random = rng(seed);
    const requests: EnqueueRequest[] = Array.from({ length: TASKS }, () => ({
      type: 'diag.effect',
      leaseMs: LEASE_MS,
      maxAttempts: 10,
      input: { ms: between(random, 2_000, 4_000), sliceMs: 50, checkpointEveryMs: 50, idempotent: true },
    }));
    const ids = await s.queue.enqueueMany(requests);
    fleet = new Fleet({ schema: s.schema, leaseMs: LEASE_MS, heartbeatMs: 400, concurrency: 6 });
    await Promise.all([fleet.start(), fleet.start(), fleet.start()]);

    const faults: FaultRecord[] = [];
    const stoppedForMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await sleep(between(random, 1_000, 2_000));
      const alive = fleet.alive();
      const victim = alive[Math.floor(random() * alive.length)]!;
      const orphans = await runningTasksOf(s.db, victim.workerId);
      const at = Date.now();
      victim.process.child.kill('SIGSTOP');
      // Keep it stopped until the others have taken every one of its tasks away.
      await waitFor(
        'the stopped worker’s tasks to be re-claimed',
        async () => {
          const rows = await s.db.query<{ n: number }>(
            `select count(*)::int as n from tasks t
               join jsonb_to_recordset($1::jsonb) as o("taskId" uuid, attempt int) on o."taskId" = t.id
              where t.state = 'running' and t.attempt = o.attempt`,
            [JSON.stringify(orphans)],
          );
          return rows[0]?.n === 0;
        },
        30_000,
      );
      stoppedForMs.push(Date.now() - at);
      victim.process.child.kill('SIGCONT');
      faults.push({ kind: 'stop', at, workerId: victim.workerId, orphans });
    }
    await waitFor('every task to finish', async () => (await unfinished(s.db)) === 0, 150_000, 250);
    const zombiesAlive = faults.every((f) => fleet.all.find((w) => w.workerId === f.workerId)?.process.alive);
    const counters = await fleet.stopGracefully();
    const report = await checkChaos(s.db, { expectedTaskIds: ids, faults });
    printFigures('zombie', {
      seed,
      faults: faults.length,
      orphansPerStop: faults.map((f) => f.orphans.length),
      stoppedForMs,
      poolStaleRejected: counters.reduce((n, c) => n + Number(c['staleRejected'] ?? 0), 0),
      poolLeaseLost: counters.reduce((n, c) => n + Number(c['leaseLost'] ?? 0), 0),
      ...summarize(report, LEASE_MS),
    });

    expect(faults.every((f) => f.orphans.length > 0)).toBe(true);
    expect(zombiesAlive).toBe(true);
    expect(report.lost).toBe(0);
    expect(report.byState['succeeded']).toBe(TASKS);
    expect(report.staleWrites.rejected).toBeGreaterThanOrEqual(ROUNDS);
    expect(report.staleWrites.rejectedEvents).toBe(report.staleWrites.rejected);
    expect(report.staleWrites.accepted).toBe(0);
    expect(report.effects.duplicateKeysIdempotent).toBe(0);
    expect(report.recovery.unrecovered).toBe(0);
    expect(report.recovery.maxMs ?? 0).toBeLessThan(LEASE_MS * 1.5 + 1_000);
  }, 240_000);
});
