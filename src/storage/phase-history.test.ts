import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers } from '../../test/support/services.ts';
import type { Database } from './database.ts';
import { phaseDurationHistory } from './phase-history.ts';
import { insertPhases, insertRun } from './run-store.ts';

/** A run with two phases that took the given seconds; `status` for both. */
async function runWith(db: Database, seconds: { intake: number; build: number }, status = 'passed') {
  const runId = await insertRun(db, { idea: { title: 't' }, plan: {}, planHash: 'h', budgets: {} });
  await insertPhases(db, runId, [
    { phase: 'intake', budgets: {}, planHash: 'h' },
    { phase: 'build', budgets: {}, planHash: 'h' },
  ]);
  for (const [phase, s] of Object.entries(seconds))
    await db.query(
      `update phases set status = $3, started_at = now() - make_interval(secs => $4), completed_at = now()
        where run_id = $1 and phase_id = $2`,
      [runId, phase, status, s],
    );
  return runId;
}

describe.each(drivers)('phase duration history on $name', ({ available, open }) => {
  let db: Database;
  beforeAll(async () => {
    if (available) db = await open();
  });
  afterAll(async () => db?.close());

  it.runIf(available)('takes the median of passed phases of other runs, per phase', async () => {
    expect(await phaseDurationHistory(db)).toEqual({ medianMs: {}, samples: 0 });
    await runWith(db, { intake: 1, build: 10 });
    await runWith(db, { intake: 3, build: 30 });
    await runWith(db, { intake: 100, build: 100 }, 'failed');
    const current = await runWith(db, { intake: 2, build: 1_000 });
    const history = await phaseDurationHistory(db, { excludeRunId: current });
    expect(history).toEqual({ medianMs: { intake: 2_000, build: 20_000 }, samples: 4 });
    // Only the most recent `perPhase` count.
    const recent = await phaseDurationHistory(db, { perPhase: 1 });
    expect(recent.samples).toBe(2);
    expect(recent.medianMs['build']).toBe(1_000_000);
  });
});
