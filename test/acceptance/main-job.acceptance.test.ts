import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/observability/ledger.ts';
import { getPhases, listArtifacts } from '../../src/storage/run-store.ts';
import { expectValidEvents } from '../support/events.ts';
import { faultyModel, unresolvedContradictions } from '../support/faulty-model.ts';
import { type Harness, openHarness, TODO_IDEA } from '../support/run-harness.ts';

/**
 * The spec's acceptance criteria 1, 4, 6, 8, 9 and 10, through the library exactly as `ideamine run`
 * drives it (embedded PGlite, in-process worker pool, offline model). Criterion 2 (checkpoint
 * resume after a kill) is in test/integration/worker-crash.int.test.ts and the CLI crash test.
 */
describe('acceptance: a full run of "A shared todo app for small teams"', () => {
  let h: Harness;
  let runId: string;

  beforeAll(async () => {
    h = await openHarness();
    const result = await h.run(TODO_IDEA);
    runId = result.runId;
    expect(result.outcome).toBe('succeeded');
  }, 180_000);
  afterAll(async () => h?.close());

  it('passes all 13 gates and writes a dossier; every stored event matches its schema', async () => {
    const phases = await getPhases(h.rt.db, runId);
    expect(phases).toHaveLength(13);
    expect(phases.every((p) => p.status === 'passed')).toBe(true);
    const dossier = JSON.parse(readFileSync(join(h.home, 'runs', runId, 'dossier.json'), 'utf8'));
    expect(dossier.phases).toHaveLength(13);
    expect(readFileSync(join(h.home, 'runs', runId, 'dossier.html'), 'utf8')).toContain(
      'A shared todo app for small teams',
    );
    const events = await h.events(runId);
    expectValidEvents(events);
    expect((await verifyLedger(h.rt.db, runId)).ok).toBe(true);
  });

  it('criterion 1: a phase emits started → progress → ready → gate.passed → complete, in order', async () => {
    const intake = (await h.events(runId)).filter((e) => e.phase === 'intake').map((e) => e.type);
    const order = ['phase.started', 'phase.progress', 'phase.ready', 'phase.gate.passed', 'phase.complete'];
    const positions = order.map((t) => intake.indexOf(t));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('criterion 8: intake yields an IdeaSpec and an EvidencePack', async () => {
    const artifacts = await listArtifacts(h.rt.db, runId, { phase: 'intake' });
    const spec = artifacts.find((a) => a.type === 'IdeaSpec');
    expect(spec?.provenance['model']).toBe('offline');
    const packs = await h.rt.db.query<{ artifacts: Array<{ id: string }>; metrics: Record<string, unknown> }>(
      `select artifacts, metrics from evidence_packs where run_id = $1 and phase_id = 'intake'`,
      [runId],
    );
    expect(packs.at(-1)?.artifacts.map((a) => a.id)).toContain(spec?.id);
    expect(packs.at(-1)?.metrics).toHaveProperty('ambiguity');
  });

  it('criterion 9: the run completes with zero user prompts', async () => {
    const packs = await h.rt.db.query<{ metrics: Record<string, unknown> }>(
      'select metrics from evidence_packs where run_id = $1',
      [runId],
    );
    expect(packs.length).toBeGreaterThanOrEqual(13);
    expect(packs.every((p) => p.metrics['user_prompts'] === 0)).toBe(true);
  });

  it('criterion 10: security and story-loop start together', async () => {
    const events = await h.events(runId);
    const seq = (type: string, phase: string) =>
      events.find((e) => e.type === type && e.phase === phase)?.seq ?? -1;
    const bothStarted = Math.max(seq('phase.started', 'security'), seq('phase.started', 'story-loop'));
    const firstDone = Math.min(seq('phase.complete', 'security'), seq('phase.complete', 'story-loop'));
    expect(bothStarted).toBeGreaterThan(0);
    expect(bothStarted).toBeLessThan(firstDone);
  });

  it('the same idea gives the same artifacts; a different idea gives different ones', async () => {
    const again = await h.run(TODO_IDEA);
    const other = await h.run({
      title: 'A marketplace for renting camping gear',
      description: 'A marketplace for renting camping gear between neighbours',
    });
    const contents = async (id: string) =>
      (await listArtifacts(h.rt.db, id, { phase: 'prd' })).map((a) => `${a.name}:${a.hash}`).sort();
    expect(await contents(again.runId)).toEqual(await contents(runId));
    expect(await contents(other.runId)).not.toEqual(await contents(runId));
  }, 180_000);
});

describe('acceptance: gates and configuration', () => {
  it('criterion 4: a failing guard blocks the gate with its reason; the loop fixes it on a later attempt', async () => {
    // A transient fault: the red team's first answer has two unresolved contradictions.
    const h = await openHarness({
      modelDecorator: (m) => faultyModel(m, [unresolvedContradictions('first')]),
    });
    try {
      const { runId, outcome } = await h.run({
        title: 'Critique with a faulty first draft',
        description: 'A shared todo app for small teams',
      });
      expect(outcome).toBe('succeeded');
      const critique = (await getPhases(h.rt.db, runId)).find((p) => p.phase === 'critique');
      expect(critique).toMatchObject({ status: 'passed', gateAttempts: 2 });
      const failed = (await h.events(runId)).filter(
        (e) => e.type === 'phase.gate.failed' && e.phase === 'critique',
      );
      expect(failed).toHaveLength(1);
      expect(JSON.stringify(failed[0]?.payload['reasons'])).toMatch(/contradictions_max exceeded/);
      const ledger = await h.rt.db.query<{ data: Record<string, unknown> }>(
        `select data from ledger where run_id = $1 and type = 'decision'`,
        [runId],
      );
      expect(ledger.some((l) => l.data['decision'] === 'auto-fix')).toBe(true);
      // The loop re-ran the red team: its second answer (not faulty) is the one that passed.
      const redTeamAttempts = (await h.events(runId))
        .filter(
          (e) =>
            e.type === 'phase.agent.complete' && String(e.payload['agentId']).startsWith('critique.red-team'),
        )
        .map((e) => e.payload['attempt']);
      expect(redTeamAttempts).toContain(1);
      expect(redTeamAttempts.some((a) => Number(a) > 1)).toBe(true);
    } finally {
      await h.close();
    }
  }, 180_000);

  it('a gate that keeps failing exhausts its attempts and the phase fails with the escalation recorded', async () => {
    // A persistent fault: every answer of the red team has two unresolved contradictions.
    const h = await openHarness({ modelDecorator: (m) => faultyModel(m, [unresolvedContradictions('all')]) });
    try {
      const { runId, outcome } = await h.run({
        title: 'Hopeless critique',
        description: 'A shared todo app for small teams',
      });
      expect(outcome).toBe('failed');
      const phases = await getPhases(h.rt.db, runId);
      const critique = phases.find((p) => p.phase === 'critique');
      expect(critique).toMatchObject({ status: 'failed', gateAttempts: 5 });
      expect(phases.filter((p) => p.status === 'pending').map((p) => p.phase)).toContain('prd');
      const escalation = await h.rt.db.query<{ data: Record<string, unknown> }>(
        `select data from ledger where run_id = $1 and type = 'decision' and data ->> 'decision' = 'escalate'`,
        [runId],
      );
      expect(escalation).toHaveLength(1);
      // Saga: the abandoned phase's compensations ran in reverse order of registration.
      const compensations = await h.rt.db.query<{ step_key: string; action: string; state: string }>(
        `select step_key, action, state from compensations where run_id = $1 and phase_id = 'critique' order by done_at, seq desc`,
        [runId],
      );
      expect(compensations.length).toBeGreaterThanOrEqual(5);
      expect(compensations.every((c) => c.state === 'compensated')).toBe(true);
      const ledgerOrder = (
        await h.rt.db.query<{ step: string }>(
          `select data ->> 'stepKey' as step from ledger where run_id = $1 and data ->> 'decision' = 'compensate' order by seq`,
          [runId],
        )
      ).map((r) => r.step);
      expect(ledgerOrder[0]).toMatch(/^attempt-5\//);
      expect(ledgerOrder.at(-1)).toBe('attempt-1/dispatch');
      expect(await listArtifacts(h.rt.db, runId, { phase: 'critique' })).toHaveLength(0);
      expectValidEvents(await h.events(runId));
    } finally {
      await h.close();
    }
  }, 180_000);

  it("criterion 6: swapping a phase's YAML changes its agents with no code change", async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'ideamine-config-'));
    mkdirSync(configDir, { recursive: true });
    writeFileSync(
      join(configDir, 'ideation.yaml'),
      'phase: ideation\nagents:\n  - ideation.strategy\n  - ideation.persona\n',
    );
    const h = await openHarness({ configDir });
    try {
      const configs = await h.rt.loadPhaseConfigs();
      expect(configs.byName.get('ideation')?.agents.map((a) => a.id)).toEqual([
        'ideation.strategy',
        'ideation.persona',
      ]);
      const { runId } = await h.rt.orchestrator.createRun(
        { title: 'Config swap', description: 'A shared todo app for small teams' },
        configs,
      );
      const plan = (
        await h.rt.db.query<{ plan: { phases: Array<{ phase: string; agents: Array<{ id: string }> }> } }>(
          'select plan from runs where id = $1',
          [runId],
        )
      )[0]?.plan;
      expect(plan?.phases.find((p) => p.phase === 'ideation')?.agents.map((a) => a.id)).toEqual([
        'ideation.strategy',
        'ideation.persona',
      ]);
    } finally {
      await h.close();
    }
  });
});
