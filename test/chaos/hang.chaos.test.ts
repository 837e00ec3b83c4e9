import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresReachable } from '../support/services.ts';
import { checkChaos, summarize } from './checker.ts';
import { type ChaosSchema, Fleet, openChaosSchema, printFigures, sleep, waitFor } from './harness.ts';

/**
 * Silent hangs: a handler that never finishes and never reports progress, while its worker process
 * is healthy. The pool heartbeats every in-flight task, so the lease alone never notices it.
 *
 * - Unsupervised (no `stallAfterMs`): the lease keeps being renewed and the task holds its slot for
 *   as long as the handler hangs. That is today's documented behaviour, asserted as such.
 * - Supervised (`stallAfterMs`, as agent tasks get from their phase's stall threshold): the
 *   supervisor in the worker processes sees no progress for two stall windows, asks for a
 *   checkpoint, then takes the attempt away ('stalled' in the history) and retries it; after two
 *   plain retries it escalates and the task fails with STALLED.
 */

const LEASE_MS = 1_500;
const HEARTBEAT_MS = 300;
const STALL_AFTER_MS = 1_000;

describe.runIf(postgresReachable)('chaos: a silent hang', () => {
  let s: ChaosSchema;
  let fleet: Fleet;
  let unsupervised: string;
  let supervised: string;
  let healthy: string[];
  let observedForMs = 0;

  beforeAll(async () => {
    s = await openChaosSchema('hang');
    fleet = new Fleet({ schema: s.schema, leaseMs: LEASE_MS, heartbeatMs: HEARTBEAT_MS, concurrency: 3 });
    const hang = { type: 'diag.poison', leaseMs: LEASE_MS, maxAttempts: 3, priority: 10 };
    unsupervised = (await s.queue.enqueue({ ...hang, input: { mode: 'hang', hangMs: 120_000 } })).task.id;
    supervised = (
      await s.queue.enqueue({
        ...hang,
        stallAfterMs: STALL_AFTER_MS,
        input: { mode: 'hang', hangMs: 120_000 },
      })
    ).task.id;
    healthy = await s.queue.enqueueMany(
      Array.from({ length: 12 }, () => ({
        type: 'diag.effect',
        leaseMs: LEASE_MS,
        input: { ms: 300, idempotent: true },
      })),
    );
    await Promise.all([fleet.start(), fleet.start()]);
    const started = Date.now();
    await waitFor(
      'the supervised hang to be escalated',
      async () => (await s.queue.get(supervised))?.state === 'failed',
      90_000,
      250,
    );
    // Observe the unsupervised hang for at least ten leases in all.
    await sleep(Math.max(0, 10 * LEASE_MS - (Date.now() - started)));
    observedForMs = Date.now() - started;
  }, 120_000);
  afterAll(async () => {
    await fleet?.shutdown();
    await s?.close();
  });

  it('unsupervised: the lease keeps being renewed, so the hang is never detected', async () => {
    const rows = await s.db.query<{
      state: string;
      attempt: number;
      renewed: boolean;
      beat_age_ms: number;
      history: unknown[];
    }>(
      `select state, attempt, locked_until > clock_timestamp() as renewed, history,
              (extract(epoch from (clock_timestamp() - heartbeat_at)) * 1000)::float8 as beat_age_ms
         from tasks where id = $1`,
      [unsupervised],
    );
    const t = rows[0]!;
    expect(t.state).toBe('running');
    expect(t.attempt).toBe(1);
    expect(t.renewed).toBe(true);
    expect(t.beat_age_ms).toBeLessThan(LEASE_MS);
    expect(t.history).toEqual([]);
  });

  it('supervised: no progress → checkpoint request → taken away twice → escalated as STALLED', async () => {
    const task = (await s.queue.get(supervised))!;
    const outcomes = task.history.map((h) => h.outcome);
    const strategies = task.history.map((h) => h.strategy);
    const stalled = task.history.filter((h) => h.outcome === 'stalled');
    expect(task.state).toBe('failed');
    expect(task.error?.code).toBe('STALLED');
    expect(outcomes).toEqual(['stalled', 'stalled', 'stalled']);
    expect(strategies).toEqual(['reclaim', 'reclaim', 'escalate']);
    const decisions = await s.db.query<{ n: number }>(
      `select count(*)::int as n from ledger where type = 'decision' and data ->> 'taskId' = $1`,
      [supervised],
    );
    const byState = Object.fromEntries(
      (
        await s.db.query<{ state: string; n: number }>(
          'select state, count(*)::int as n from tasks where id = any($1::uuid[]) group by 1',
          [healthy],
        )
      ).map((r) => [r.state, r.n]),
    );
    const firstStallMs = stalled[0] ? new Date(stalled[0].at).getTime() - task.createdAt.getTime() : null;
    // The unsupervised hang is still running by design; every other task must have ended.
    const report = await checkChaos(s.db, { expectedTaskIds: [...healthy, supervised] });
    printFigures('hang', {
      leaseMs: LEASE_MS,
      stallAfterMs: STALL_AFTER_MS,
      observedForMs,
      unsupervisedDetected: false,
      supervisedOutcomes: strategies,
      supervisedFirstStallMs: firstStallMs,
      ledgerDecisions: decisions[0]?.n ?? 0,
      healthy: byState,
      ...summarize(report, LEASE_MS),
    });
    expect(report.lost).toBe(0);
    expect(decisions[0]?.n).toBe(3);
    expect(byState).toEqual({ succeeded: healthy.length });
    expect(report.staleWrites.accepted).toBe(0);
  });
});

/**
 * Regression test for a bug this suite found (fixed in src/engine/supervisor.ts): the supervisor
 * merged `{ unstick: … }` into the input of every task it took away, and handlers with strict input
 * schemas such as `diag.sleep` then failed the next attempt with INVALID_INPUT ('Unrecognized key:
 * "unstick"') instead of resuming from their checkpoint. A supervised diag.sleep whose worker stops
 * heartbeating (SIGSTOP) must be taken away by the supervisor and succeed on its next attempt.
 */
describe.runIf(postgresReachable)('chaos: a supervised task taken from a stopped worker', () => {
  let s: ChaosSchema;
  let fleet: Fleet;
  beforeAll(async () => {
    s = await openChaosSchema('unstick');
  });
  afterAll(async () => {
    await fleet?.shutdown();
    await s?.close();
  });

  it('resumes on its next attempt', async () => {
    // The lease (10 s) outlasts the stall window (1 s), so the supervisor, not the lease sweep, acts.
    fleet = new Fleet({ schema: s.schema, leaseMs: 10_000, heartbeatMs: 300, concurrency: 2 });
    const victim = await fleet.start();
    const { task } = await s.queue.enqueue({
      type: 'diag.sleep',
      leaseMs: 10_000,
      stallAfterMs: 1_000,
      input: { ms: 6_000, checkpointEveryMs: 200 },
    });
    await waitFor('the task to start', async () => (await s.queue.get(task.id))?.state === 'running', 30_000);
    await fleet.start();
    await sleep(500);
    victim.process.child.kill('SIGSTOP');
    await waitFor(
      'the supervisor to take it away',
      async () => ((await s.queue.get(task.id))?.attempt ?? 0) > 1,
      30_000,
    );
    victim.process.child.kill('SIGCONT');
    const done = await waitFor(
      'the task to end',
      async () => {
        const t = await s.queue.get(task.id);
        return t && ['succeeded', 'failed', 'dead'].includes(t.state) ? t : undefined;
      },
      60_000,
    );
    printFigures('unstick-strict-input', {
      state: done.state,
      attempt: done.attempt,
      error: done.error?.message ?? null,
      history: done.history.map((h) => h.outcome),
    });
    expect(done.state).toBe('succeeded');
  }, 120_000);
});
