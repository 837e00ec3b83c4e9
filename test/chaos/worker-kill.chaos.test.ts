import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectKey } from '../../src/engine/diag-effect.ts';
import type { EnqueueRequest } from '../../src/queue/task-queue.ts';
import { postgresReachable } from '../support/services.ts';
import { type ChaosReport, checkChaos, type FaultRecord, summarize } from './checker.ts';
import {
  between,
  type ChaosSchema,
  chaosSeed,
  Fleet,
  killWorker,
  openChaosSchema,
  printFigures,
  rng,
  scaled,
  sleep,
  unfinished,
} from './harness.ts';

/**
 * kill -9 of `ideamine worker` processes at random points, including inside the window between a
 * side effect and its acknowledgement (found by watching `diag_effects`, widened by
 * `pauseAfterEffectMs`), plus tasks that SIGKILL their own worker right after their effect on the
 * first attempt (a deterministic crash point). Afterwards: nothing lost, idempotent effects applied
 * exactly once, plain effects visibly re-executed (at least once, not exactly once), no stale write
 * accepted, every orphan re-claimed within about one lease, and checkpoints add up.
 */

const TASKS = scaled(240, 1_000);
const CRASH_TASKS = scaled(6, 20);
const LEASE_MS = 2_000;
const MAX_KILLS = scaled(10, 20);
const seed = chaosSeed();

describe.runIf(postgresReachable)('chaos: kill -9 workers, also between a side effect and its ack', () => {
  let s: ChaosSchema;
  let fleet: Fleet;
  let report: ChaosReport;
  const faults: FaultRecord[] = [];
  let crashIds: Array<{ id: string; idempotent: boolean }> = [];
  let selfKills = 0;

  beforeAll(async () => {
    s = await openChaosSchema('kill');
  });
  afterAll(async () => {
    await fleet?.shutdown();
    await s?.close();
  });

  it(`loses nothing and applies idempotent effects once (seed ${seed})`, async () => {
    const random = rng(seed);
    // Crash tasks spread over the queue, so one self-kill rarely takes another crash task with it.
    const crashAt = new Set(
      Array.from({ length: CRASH_TASKS }, (_, i) => Math.floor(((i + random()) * TASKS) / CRASH_TASKS)),
    );
    const requests: EnqueueRequest[] = Array.from({ length: TASKS }, (_, i) => {
      const crash = crashAt.has(i);
      return {
        type: 'diag.effect',
        leaseMs: LEASE_MS,
        maxAttempts: 25,
        input: {
          ms: between(random, 600, 2_000),
          sliceMs: 50,
          checkpointEveryMs: 100,
          idempotent: random() < 0.5,
          pauseAfterEffectMs: random() < 0.3 ? 400 : 0,
          ...(crash ? { crashAfterFirstEffect: true } : {}),
        },
      };
    });
    const ids = await s.queue.enqueueMany(requests);
    crashIds = ids.flatMap((id, i) =>
      crashAt.has(i) ? [{ id, idempotent: (requests[i]!.input as { idempotent: boolean }).idempotent }] : [],
    );

    fleet = new Fleet({ schema: s.schema, leaseMs: LEASE_MS, heartbeatMs: 400, concurrency: 8 });
    await Promise.all([fleet.start(), fleet.start(), fleet.start()]);

    const deadline = Date.now() + scaled(180_000, 330_000);
    let nextFaultAt = Date.now() + between(random, 800, 1_800);
    while (Date.now() < deadline) {
      const left = await unfinished(s.db);
      if (left === 0) break;
      selfKills += await fleet.replaceDead();
      if (faults.length < MAX_KILLS && Date.now() >= nextFaultAt && left > TASKS * 0.05) {
        const afterEffect = random() < 0.5;
        const fault = afterEffect ? await killInEffectWindow(s, fleet) : undefined;
        if (fault) faults.push(fault);
        else {
          const alive = fleet.alive();
          const victim = alive[Math.floor(random() * alive.length)];
          if (victim) faults.push(await killWorker(s.db, victim));
        }
        await fleet.replaceDead();
        nextFaultAt = Date.now() + between(random, 800, 1_800);
      }
      await sleep(100);
    }
    await fleet.shutdown();
    report = await checkChaos(s.db, { expectedTaskIds: ids, faults });
    printFigures('worker-kill', {
      seed,
      faults: faults.length,
      faultsAfterEffect: faults.filter((f) => f.kind === 'kill-after-effect').length,
      selfKillsAfterEffect: selfKills,
      ...summarize(report, LEASE_MS),
    });

    expect(report.lost).toBe(0);
    expect(report.byState['succeeded']).toBe(TASKS);
    // How many kills land before the queue drains depends on how loaded the machine is (a busy
    // machine finishes fewer tasks per second but may also find fewer workers inside an effect
    // window): the invariants above are the assertion; that some kill landed is what gives them meaning.
    expect(faults.length + selfKills).toBeGreaterThanOrEqual(1);
    expect(report.effects.duplicateKeysIdempotent).toBe(0);
    expect(report.staleWrites.accepted).toBe(0);
    expect(report.recovery.unrecovered).toBe(0);
    // Re-claim waits for the lease to lapse (≤ one lease after the last heartbeat), then one sweep
    // (a tenth of a lease) and a claim; the bound leaves room for a busy 2-core machine.
    expect(report.recovery.maxMs ?? 0).toBeLessThan(LEASE_MS * 1.5 + 1_000);
  }, 400_000);

  it('re-executes a plain effect after a crash between effect and ack; an idempotent one applies once', async () => {
    expect(report, 'the fault run must have completed').toBeDefined();
    for (const { id, idempotent } of crashIds) {
      const rows = await s.db.query<{ n: number }>(
        'select count(*)::int as n from diag_effects where idempotency_key = $1',
        [effectKey(id)],
      );
      if (idempotent) expect(rows[0]?.n, `idempotent ${id}`).toBe(1);
      else expect(rows[0]?.n, `plain ${id}`).toBeGreaterThanOrEqual(2);
    }
    // Each crash task killed its worker once (two in one worker at once count as one death).
    expect(selfKills).toBeGreaterThanOrEqual(1);
  });

  it('resumes from checkpoints: the work of all attempts adds up to exactly the task', async () => {
    const rows = await s.db.query<{ id: string; ms: number; worked: number; resumed: number }>(
      `select id, (input ->> 'ms')::int as ms, (result ->> 'workedMs')::int as worked,
              (result ->> 'resumedFromMs')::int as resumed
         from tasks where state = 'succeeded'`,
    );
    for (const r of rows) expect(r.resumed + r.worked, r.id).toBe(r.ms);
    expect(rows.filter((r) => r.resumed > 0).length).toBeGreaterThan(0);
  });
});

/**
 * Waits (up to 2 s) for a task that has applied its effect but is not yet acknowledged, and kills
 * its worker inside that window.
 */
async function killInEffectWindow(s: ChaosSchema, fleet: Fleet): Promise<FaultRecord | undefined> {
  const deadline = Date.now() + 2_000;
  while (Date.now() < deadline) {
    const rows = await s.db.query<{ owner: string }>(
      `select t.lease_owner as owner from diag_effects e join tasks t on t.id = e.task_id
        where t.state = 'running' and e.attempt = t.attempt and t.lease_owner is not null limit 1`,
    );
    const victim = fleet.alive().find((w) => w.workerId === rows[0]?.owner);
    if (victim) return killWorker(s.db, victim, 'kill-after-effect');
    await sleep(30);
  }
  return undefined;
}
