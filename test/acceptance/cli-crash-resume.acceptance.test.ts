import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/open.ts';
import { runCli, spawnCli, waitForJsonLine } from '../support/cli.ts';

/**
 * `kill -9` of `ideamine run` in the middle of a run, then `ideamine resume`: the run completes, and
 * phases that had finished before the kill are not executed again (no new phase.started, no new
 * tasks for them), as the events and tasks tables show.
 */
describe('acceptance: kill -9 during `ideamine run`, then `ideamine resume`', () => {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-cli-crash-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const env = { IDEAMINE_HOME: home };

  it('resumes where it stopped and never re-runs finished phases', async () => {
    const child = spawnCli(['run', 'A shared todo app for small teams', '--json'], env);
    const started = await waitForJsonLine(
      child,
      (l) => l['type'] === 'phase.started' && l['phase'] === 'prd',
      90_000,
    );
    const runId = String(started['runId']);
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });

    // The dead owner's lock is stale: this process may open the data dir, as `resume` will.
    const before = await snapshot(home, runId);
    expect(before.finished).toEqual(expect.arrayContaining(['intake', 'ideation', 'critique']));
    expect(before.runStatus).toBe('running');

    const resumed = await runCli(['resume', runId.slice(0, 8), '--json'], env, 150_000);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const summary = resumed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .at(-1);
    expect(summary).toMatchObject({ type: 'run.summary', outcome: 'succeeded' });

    const after = await snapshot(home, runId);
    expect(after.runStatus).toBe('succeeded');
    for (const phase of before.finished) {
      expect(after.tasksByPhase[phase], `tasks of ${phase}`).toBe(before.tasksByPhase[phase]);
      expect(after.startedEvents[phase], `phase.started of ${phase}`).toBe(1);
    }
    expect(after.takeovers).toBe(1);
  }, 300_000);
});

async function snapshot(home: string, runId: string) {
  const db = await openDatabase({ driver: 'pglite', dataDir: home });
  try {
    const phases = await db.query<{ phase_id: string; status: string }>(
      'select phase_id, status from phases where run_id = $1',
      [runId],
    );
    const tasks = await db.query<{ phase_id: string; n: number }>(
      'select p.phase_id, count(t.id)::int as n from phases p left join tasks t on t.phase_id = p.id where p.run_id = $1 group by p.phase_id',
      [runId],
    );
    const started = await db.query<{ phase_id: string; n: number }>(
      `select phase_id, count(*)::int as n from events where run_id = $1 and event_type = 'phase.started' group by phase_id`,
      [runId],
    );
    const takeovers = await db.query<{ n: number }>(
      `select count(*)::int as n from events where run_id = $1 and event_type = 'run.started' and (payload ->> 'takeover')::boolean`,
      [runId],
    );
    const run = await db.query<{ status: string }>('select status from runs where id = $1', [runId]);
    return {
      runStatus: run[0]?.status,
      finished: phases.filter((p) => p.status === 'passed').map((p) => p.phase_id),
      tasksByPhase: Object.fromEntries(tasks.map((t) => [t.phase_id, t.n])),
      startedEvents: Object.fromEntries(started.map((s) => [s.phase_id, s.n])),
      takeovers: takeovers[0]?.n ?? 0,
    };
  } finally {
    await db.close();
  }
}
