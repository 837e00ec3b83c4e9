import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRunOverview } from '../../src/api/run-overview.ts';
import type { Database } from '../../src/storage/database.ts';
import { appendEvents, EVENTS_CHANNEL, type NewEvent } from '../../src/storage/event-store.ts';
import {
  insertArtifact,
  insertEvidencePack,
  insertPhases,
  insertRun,
  saveDossier,
  updatePhase,
} from '../../src/storage/run-store.ts';
import { drivers } from '../support/services.ts';

/**
 * The dashboard's overview read on both backends: stored rows in, exact figures out (latest evidence
 * pack per phase, the gate's verdict per rubric, tasks per heatmap column, spend, problems, Q/A/V
 * counts, tool reports, the dossier flag).
 */

const T0 = Date.parse('2026-12-01T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

const PLAN = {
  levels: [['intake'], ['prd']],
  phases: [
    {
      phase: 'prd',
      rubrics: { ambiguity_max: 0.2 },
      refinery: { fissionMinCoverage: 0.8, fusionMinConsensus: 0.5 },
      maxGateAttempts: 3,
    },
  ],
};

async function seed(db: Database): Promise<string> {
  const runId = await insertRun(db, {
    idea: { title: 'Overview fixture', description: 'Overview fixture' },
    plan: PLAN,
    planHash: 'h',
    budgets: { tokens: 1_000, usd: 2 },
  });
  // Created in reverse pipeline order: the overview must put intake first anyway.
  await insertPhases(db, runId, [
    { phase: 'prd', budgets: {}, planHash: 'h' },
    { phase: 'intake', budgets: {}, planHash: 'h' },
  ]);
  await updatePhase(db, runId, 'intake', { status: 'passed', gateAttempts: 1 });
  await updatePhase(db, runId, 'prd', { status: 'running', stage: 'dispatch', gateAttempts: 2 });
  const phaseIds = await db.query<{ id: string; phase_id: string }>(
    'select id, phase_id from phases where run_id = $1',
    [runId],
  );
  const phaseId = (p: string) => phaseIds.find((r) => r.phase_id === p)?.id;
  // intake: two tasks in the first 10 s; prd: one task from 20 s to 40 s (the run's last instant).
  for (const [phase, start, end] of [
    ['intake', 0, 9],
    ['intake', 2, 5],
    ['prd', 20, 40],
  ] as const)
    await db.query(
      `insert into tasks (type, run_id, phase_id, state, started_at, completed_at) values ('t', $1, $2, 'succeeded', $3, $4)`,
      [runId, phaseId(phase), at(start), at(end)],
    );
  const pack = (attempt: number, ambiguity: number) =>
    insertEvidencePack(db, {
      runId,
      phase: 'prd',
      attempt,
      artifacts: [],
      guardReports: [],
      qavSummary: { questions: 10, accepted: 6, rejected: 3, unknown: 1 },
      kmapRefs: [],
      metrics: { ambiguity, fission_coverage: 0.9, fusion_consensus: 0.4 },
    });
  const first = await pack(1, 0.5);
  const second = await pack(2, 0.1);
  const events: NewEvent[] = [
    {
      type: 'phase.gate.failed',
      phase: 'prd',
      payload: {
        attempt: 1,
        score: 0.33,
        evidencePackId: first,
        reasons: ['x'],
        failedRubrics: ['ambiguity_max'],
      },
    },
    { type: 'phase.agent.complete', phase: 'prd', payload: { usage: { tokens: 300, usd: 0.25 } } },
    { type: 'phase.stalled', phase: 'prd', payload: { reason: 'no-heartbeat', strategy: 'retry' } },
    { type: 'phase.agent.complete', phase: 'prd', payload: { usage: { tokens: 200, usd: 0 } } },
    {
      type: 'phase.gate.failed',
      phase: 'prd',
      payload: {
        attempt: 2,
        score: 0.67,
        evidencePackId: second,
        reasons: ['y'],
        failedRubrics: ['fusion_consensus_min'],
      },
    },
    { type: 'phase.progress', phase: 'prd', payload: { pct: 10 } },
  ];
  await db.transaction((tx) =>
    appendEvents(
      tx,
      db.channel(EVENTS_CHANNEL),
      events.map((e) => ({ ...e, runId })),
    ),
  );
  for (const [name, source] of [
    ['TestReport', 'tool'],
    ['TestReport', 'tool'],
    ['Prd', 'agent'],
  ] as const)
    await insertArtifact(db, {
      runId,
      phase: 'prd',
      type: name,
      name: name.toLowerCase(),
      content: {},
      hash: 'x',
      provenance: { source },
      idempotencyKey: `${runId}-${name}-${Math.random()}`,
    });
  await db.query(
    `insert into assumptions (run_id, phase_id, assumption, status) values ($1, 'prd', 'a', 'active'), ($1, 'prd', 'b', 'validated')`,
    [runId],
  );
  await db.query(
    `insert into kmap_frames (run_id, phase_id, subject, predicate, object, topic_key, object_key, confidence, provenance)
     values ($1, 'prd', 'app', 'has', 'lists', 'app has', 'lists', 0.9, '{}')`,
    [runId],
  );
  return runId;
}

for (const driver of drivers) {
  describe.runIf(driver.available)(`dashboard overview on ${driver.name}`, () => {
    let db: Database;
    let runId: string;

    beforeAll(async () => {
      db = await driver.open();
      runId = await seed(db);
    });
    afterAll(async () => db?.close());

    it('builds every panel from the stored rows', async () => {
      const o = await loadRunOverview(db, runId, new Date(T0 + 60_000));
      if (!o) throw new Error('no overview');
      expect(o.run).toMatchObject({ id: runId, title: 'Overview fixture', status: 'pending' });
      expect(o.phases.map((p) => [p.phase, p.status, p.gates.map((g) => g.pass)])).toEqual([
        ['intake', 'passed', []],
        ['prd', 'running', [false, false]],
      ]);
      expect(o.phases[1]?.maxGateAttempts).toBe(3);

      // 40 s over 24 columns of 1,667 ms: intake's tasks cover columns 0-5 and 1-2, prd's 11-23.
      expect(o.heatmap.bucketMs).toBe(1_667);
      expect(o.heatmap.rows[0]?.counts.slice(0, 7)).toEqual([1, 2, 2, 1, 1, 1, 0]);
      expect(o.heatmap.rows[1]?.counts.indexOf(1)).toBe(11);
      expect(o.heatmap.rows[1]?.counts.filter((n) => n > 0)).toHaveLength(13);

      expect(o.readiness[1]).toEqual({
        phase: 'prd',
        attempt: 2,
        verdict: 'failed',
        rubrics: [
          { rubric: 'ambiguity_max', metric: 'ambiguity', threshold: 0.2, actual: 0.1, pass: true },
          {
            rubric: 'fission_coverage_min',
            metric: 'fission_coverage',
            threshold: 0.8,
            actual: 0.9,
            pass: true,
          },
          {
            rubric: 'fusion_consensus_min',
            metric: 'fusion_consensus',
            threshold: 0.5,
            actual: 0.4,
            pass: false,
          },
        ],
      });
      expect(o.readiness[0]).toEqual({ phase: 'intake', attempt: null, verdict: null, rubrics: [] });

      expect(o.spend.run.budgets).toEqual({ tokens: 1_000, usd: 2 });
      expect(o.spend.burn.map(([, tokens, usd]) => [tokens, usd])).toEqual([
        [300, 0.25],
        [500, 0.25],
      ]);
      expect(o.problems.map((p) => p.type)).toEqual([
        'phase.gate.failed',
        'phase.stalled',
        'phase.gate.failed',
      ]);
      expect(o.problems[1]?.summary).toBe('stalled (no-heartbeat), unsticker chose retry');
      expect(o.lastSeq).toBeGreaterThan(0);

      expect(o.qav.phases[1]).toEqual({
        phase: 'prd',
        questions: 10,
        accepted: 6,
        rejected: 3,
        unknown: 1,
        fissionCoverage: 0.9,
        fusionConsensus: 0.4,
      });
      expect(o.qav.assumptions).toEqual({ active: 1, validated: 1 });
      expect(o.qav.frames).toEqual({ active: 1 });
      expect(o.qav.conflicts).toBe(0);
      // The newest of the two TestReports only; the agent's artifact is not a report.
      expect(o.reports.map((r) => r.type)).toEqual(['TestReport']);
      expect(o.hasDossier).toBe(false);
      await saveDossier(db, runId, '1.0.0', {});
      expect((await loadRunOverview(db, runId))?.hasDossier).toBe(true);
    });

    it('says undefined for a run that does not exist', async () => {
      expect(await loadRunOverview(db, '00000000-0000-4000-8000-000000000000')).toBeUndefined();
    });
  });
}
