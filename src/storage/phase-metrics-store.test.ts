import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './database.ts';
import { openDatabase } from './open.ts';
import { listPhaseMetrics, recordPhaseMetrics } from './phase-metrics-store.ts';
import { insertPhases, insertRun } from './run-store.ts';

/** phase_metrics figures come from stored rows, so they can be checked exactly. */
describe('phase_metrics: one row per phase generation, computed from stored tasks', () => {
  let db: Database;
  let runId: string;
  let phaseRowId: string;

  beforeAll(async () => {
    db = await openDatabase({ driver: 'pglite' });
    runId = await insertRun(db, { idea: { title: 't' }, plan: {}, planHash: 'h', budgets: {} });
    await insertPhases(db, runId, [{ phase: 'build', budgets: {}, planHash: 'h' }]);
    const rows = await db.query<{ id: string }>('select id from phases where run_id = $1', [runId]);
    phaseRowId = rows[0]?.id as string;
    await db.query(
      `update phases set usage = '{"tokens": 1200, "usd": 0.5}', gate_attempts = 2, started_at = now() - interval '1 minute'
        where id = $1`,
      [phaseRowId],
    );
    await db.query(
      `insert into step_results (scope, position, key, output, created_at)
       values ($1, 0, 'start', null, now() - interval '1 minute')`,
      [`${runId}/build`],
    );
    // Five tasks that ran 100..500 ms; one took three attempts and was stalled once; one is dead.
    for (const [i, state, attempt, history] of [
      [1, 'succeeded', 1, []],
      [2, 'succeeded', 3, [{ outcome: 'failed' }, { outcome: 'stalled' }, { outcome: 'lease_expired' }]],
      [3, 'succeeded', 1, []],
      [4, 'succeeded', 1, []],
      [5, 'dead', 2, [{ outcome: 'failed' }, { outcome: 'failed' }]],
    ] as const) {
      await db.query(
        `insert into tasks (run_id, phase_id, type, state, attempt, history, started_at, completed_at)
         values ($1, $2, 'agent.run', $3, $4, $5, now() - interval '10 seconds',
                 now() - interval '10 seconds' + $6 * interval '1 millisecond')`,
        [runId, phaseRowId, state, attempt, JSON.stringify(history), i * 100],
      );
    }
  });
  afterAll(async () => db?.close());

  it('computes duration, task counts, p50/p95, retries, stalls and spend; writing it again changes nothing', async () => {
    const end = {
      runId,
      phase: 'build',
      generation: 0,
      outcome: 'passed' as const,
      stepScope: `${runId}/build`,
    };
    const first = await recordPhaseMetrics(db, { ...end, gateAttempts: 2 });
    expect(first).toMatchObject({
      generation: 0,
      outcome: 'passed',
      tasks: 5,
      tasksSucceeded: 4,
      tasksFailed: 1,
      taskP50Ms: 300,
      taskP95Ms: 480, // percentile_cont: 400 + 0.8 × (500 − 400)
      gateAttempts: 2,
      tokens: 1200,
      costUsd: 0.5,
      retries: 3,
      stalls: 1,
    });
    expect(first.durationMs).toBeGreaterThanOrEqual(59_000);
    // Replayed (a crash-resume re-runs the end step): same row, same figures; gate attempts default to the phase's.
    const again = await recordPhaseMetrics(db, end);
    expect({ ...again, completedAt: null, durationMs: null }).toEqual({
      ...first,
      completedAt: null,
      durationMs: null,
    });
    expect(await listPhaseMetrics(db, runId)).toHaveLength(1);
  });

  it('a retried generation counts only its own tasks and its own spend', async () => {
    await db.query(`insert into step_results (scope, position, key, output) values ($1, 0, 'start', null)`, [
      `${runId}/build#1`,
    ]);
    await db.query(
      `insert into tasks (run_id, phase_id, type, state, attempt, started_at, completed_at)
       values ($1, $2, 'agent.run', 'succeeded', 1, now(), now() + interval '50 milliseconds')`,
      [runId, phaseRowId],
    );
    await db.query(`update phases set usage = '{"tokens": 1500, "usd": 0.75}' where id = $1`, [phaseRowId]);
    const second = await recordPhaseMetrics(db, {
      runId,
      phase: 'build',
      generation: 1,
      outcome: 'failed',
      gateAttempts: 1,
      stepScope: `${runId}/build#1`,
    });
    expect(second).toMatchObject({ generation: 1, outcome: 'failed', tasks: 1, tokens: 300, costUsd: 0.25 });
    expect(second.taskP50Ms).toBe(50);
    expect((await listPhaseMetrics(db, runId)).map((r) => r.generation)).toEqual([0, 1]);
  });
});
