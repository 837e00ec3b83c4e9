import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnqueueRequest } from '../../src/queue/task-queue.ts';
import { postgresReachable } from '../support/services.ts';
import { checkChaos, summarize } from './checker.ts';
import {
  between,
  type ChaosSchema,
  chaosSeed,
  Fleet,
  openChaosSchema,
  printFigures,
  rng,
  sleep,
  unfinished,
} from './harness.ts';

/**
 * Poison tasks next to healthy ones, on workers running under `prlimit --as=2G`: a task that throws
 * is retried with backoff and dead after max attempts with the history of each; a task that
 * SIGKILLs its worker and a memory bomb that makes V8 abort are quarantined dead after max
 * attempts too, because attempts are counted at claim. The healthy tasks all succeed meanwhile
 * (some re-executed when a poison task took their worker down with it).
 */

const LEASE_MS = 2_000;
const MAX_ATTEMPTS = 3;
const HEALTHY = 60;
const ADDRESS_SPACE = 2 * 1024 ** 3; // enough for a worker (~1.3 GB of it is reservations), not for the bomb
const seed = chaosSeed();

describe.runIf(postgresReachable)('chaos: poison tasks (throw, self-kill, memory bomb)', () => {
  let s: ChaosSchema;
  let fleet: Fleet;

  beforeAll(async () => {
    s = await openChaosSchema('poison');
  });
  afterAll(async () => {
    await fleet?.shutdown();
    await s?.close();
  });

  it(`quarantines each in at most max attempts while the healthy tasks finish (seed ${seed})`, async () => {
    const random = rng(seed);
    const poison = (mode: string, n: number): EnqueueRequest[] =>
      Array.from({ length: n }, () => ({
        type: 'diag.poison',
        leaseMs: LEASE_MS,
        maxAttempts: MAX_ATTEMPTS,
        input: { mode, afterMs: between(random, 50, 300) },
      }));
    const poisonRequests = [...poison('throw', 3), ...poison('self-kill', 2), ...poison('memory-bomb', 2)];
    const healthy: EnqueueRequest[] = Array.from({ length: HEALTHY }, () => ({
      type: 'diag.effect',
      leaseMs: LEASE_MS,
      maxAttempts: 10,
      input: { ms: between(random, 300, 800), checkpointEveryMs: 100, idempotent: true },
    }));
    // Interleave, seeded, so poison lands next to healthy tasks in the same claim batches.
    const all = [...poisonRequests, ...healthy].sort(() => random() - 0.5);
    const ids = await s.queue.enqueueMany(all);
    const startedAt = Date.now();

    fleet = new Fleet({
      schema: s.schema,
      leaseMs: LEASE_MS,
      heartbeatMs: 400,
      concurrency: 4,
      wrapper: ['prlimit', `--as=${ADDRESS_SPACE}`, '--core=0'],
    });
    await Promise.all([fleet.start(), fleet.start(), fleet.start()]);
    let replaced = 0;
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline && (await unfinished(s.db)) > 0) {
      if (replaced < 40) replaced += await fleet.replaceDead();
      await sleep(200);
    }
    const deaths = fleet.all.filter((w) => !w.process.alive).map((w) => w.process.exit);
    await fleet.shutdown();

    const rows = await s.db.query<{
      id: string;
      state: string;
      attempt: number;
      max_attempts: number;
      mode: string | null;
      code: string | null;
      outcomes: string[];
    }>(
      `select id, state, attempt, max_attempts, input ->> 'mode' as mode, error ->> 'code' as code,
              (select coalesce(jsonb_agg(h ->> 'outcome'), '[]') from jsonb_array_elements(history) h) as outcomes
         from tasks`,
    );
    const report = await checkChaos(s.db, { expectedTaskIds: ids });
    const byMode = (m: string) => rows.filter((r) => r.mode === m);
    printFigures('poison', {
      seed,
      poisonTasks: poisonRequests.length,
      healthyTasks: HEALTHY,
      maxAttempts: MAX_ATTEMPTS,
      workerDeaths: deaths.length,
      deathsBy: countBy(deaths.map((d) => d?.signal ?? `exit ${d?.code}`)),
      poisonClaims: Object.fromEntries(
        ['throw', 'self-kill', 'memory-bomb'].map((m) => [m, byMode(m).map((r) => r.attempt)]),
      ),
      healthyDoneInMs: Date.now() - startedAt,
      ...summarize(report, LEASE_MS),
    });

    expect(report.lost).toBe(0);
    expect(rows.filter((r) => r.mode === null && r.state === 'succeeded')).toHaveLength(HEALTHY);
    // A throwing task is dead after max attempts with one history entry per attempt: `failed` when
    // it threw, `lease_expired` when a self-kill or a bomb in the same worker took it down too.
    for (const r of byMode('throw')) {
      expect(r.state).toBe('dead');
      expect(r.attempt).toBe(MAX_ATTEMPTS);
      expect(r.outcomes).toHaveLength(MAX_ATTEMPTS);
      for (const o of r.outcomes) expect(['failed', 'lease_expired']).toContain(o);
    }
    expect(byMode('throw').flatMap((r) => r.outcomes)).toContain('failed');
    for (const r of [...byMode('self-kill'), ...byMode('memory-bomb')]) {
      expect(r.state, `${r.mode} ${r.id}`).toBe('dead');
      expect(r.attempt, `${r.mode} ${r.id}`).toBe(MAX_ATTEMPTS);
      expect(r.code).toBe('LEASE_EXPIRED');
      expect(r.outcomes).toEqual(Array(MAX_ATTEMPTS).fill('lease_expired'));
    }
    // Every self-kill and bomb claim took a worker down (two in one worker at once die together).
    expect(deaths.length).toBeGreaterThanOrEqual(MAX_ATTEMPTS);
    expect(report.effects.duplicateKeysIdempotent).toBe(0);
    expect(report.staleWrites.accepted).toBe(0);
  }, 240_000);
});

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
