import { describe, expect, it } from 'vitest';
import type { ArtifactView } from '../core/agent.ts';
import { PHASE_NAMES } from '../core/phases.ts';
import { failedRubrics, MEASURED_METRICS, TEST_RUBRICS } from './testing/rubrics.ts';
import { SAMPLE_IDEAS, simulateRun } from './testing/simulate.ts';

function content<T = Record<string, unknown>>(artifacts: readonly ArtifactView[], type: string): T {
  const found = artifacts.find((a) => a.type === type);
  if (found === undefined) throw new Error(`no ${type} in the run`);
  return found.content as T;
}

type Ided = { id: string };

describe.each(Object.entries(SAMPLE_IDEAS))('a whole offline run of the %s idea', (_, idea) => {
  describe.each([
    ['sequential phases', false],
    ['parallel fan-out within phases', true],
  ])('with %s', (_label, parallel) => {
    const run = simulateRun(idea, { maxAttempts: 1, parallel });
    const metrics = Object.fromEntries(run.outcomes.map((o) => [o.phase, o.report.metrics]));

    // TEST_RUBRICS leaves out the measured metrics of story-loop and qa (acceptance pass ratio,
    // stories done, open stories; test pass rate, coverage, parse errors): they come only from tool
    // reports, and this in-memory run has no tools. Those gates are proven by the acceptance tests
    // with real tools (test/acceptance/real-software.acceptance.test.ts).
    it('runs all 13 phases in DAG order, each passing its gate on the first attempt', () => {
      expect(run.outcomes.map((o) => o.phase)).toEqual([...PHASE_NAMES]);
      for (const outcome of run.outcomes) {
        // No guard claims a measured metric: only a tool may report one.
        for (const metric of MEASURED_METRICS[outcome.phase] ?? [])
          expect(outcome.report.metrics).not.toHaveProperty(metric);
        expect({
          phase: outcome.phase,
          failed: failedRubrics(outcome.report.metrics, TEST_RUBRICS[outcome.phase] ?? {}),
        }).toEqual({
          phase: outcome.phase,
          failed: [],
        });
        expect(outcome.attempts).toBe(1);
        expect(outcome.report.findings.filter((f) => f.severity === 'error')).toEqual([]);
      }
    });

    it('meets the headline thresholds', () => {
      expect(metrics['intake']).toMatchObject({ blockers: 0, feasibility: true });
      expect(metrics['intake']?.['ambiguity']).toBeLessThanOrEqual(0.1);
      expect(metrics['ideation']?.['usecase_coverage']).toBeGreaterThanOrEqual(0.85);
      expect(metrics['ideation']?.['personas_count']).toBeGreaterThanOrEqual(3);
      expect(metrics['ideation']?.['personas_count']).toBeLessThanOrEqual(5);
      expect(metrics['critique']).toMatchObject({ contradictions: 0, critical_risks_unmitigated: 0 });
      expect(metrics['prd']?.['traceability']).toBeGreaterThanOrEqual(0.9);
      expect(metrics['security']).toMatchObject({ threat_model_coverage: 1, unprotected_pii: 0 });
    });
  });

  describe('cross-phase references', () => {
    const { artifacts } = simulateRun(idea, { maxAttempts: 1 });
    const ids = (type: string, key: string) =>
      new Set(content<Record<string, Ided[]>>(artifacts, type)[key]?.map((x) => x.id));

    it('point at things that exist', () => {
      const storyIds = ids('UserStories', 'stories');
      const componentIds = ids('ArchitectureSpec', 'components');
      const personaIds = ids('Personas', 'personas');
      const testIds = ids('TestPlan', 'cases');
      const rtm = content<{ rows: { storyIds: string[]; testIds: string[] }[] }>(artifacts, 'RTM');
      const api = content<{ endpoints: { storyIds: string[]; componentId: string }[] }>(artifacts, 'ApiSpec');
      const threats = content<{ threats: { componentId: string }[] }>(artifacts, 'ThreatModel');
      const plan = content<{ modules: { componentId: string; storyIds: string[] }[] }>(
        artifacts,
        'BuildPlan',
      );
      const e2e = content<{ flows: { uxFlowId: string }[] }>(artifacts, 'E2eSuite');
      const cohorts = content<{ cohorts: { personaId: string }[] }>(artifacts, 'BetaPlan');
      const dossier = content<{ sections: { artifactIds: string[] }[] }>(artifacts, 'ReleaseDossier');
      const strategy = content<{ useCases: { actor: string }[] }>(artifacts, 'ProductStrategy');
      const all = new Set(artifacts.map((a) => a.id));

      for (const row of rtm.rows) for (const t of row.testIds) expect(testIds).toContain(t);
      for (const row of rtm.rows) for (const s of row.storyIds) expect(storyIds).toContain(s);
      for (const e of api.endpoints) for (const s of e.storyIds) expect(storyIds).toContain(s);
      for (const e of api.endpoints) expect(componentIds).toContain(e.componentId);
      for (const t of threats.threats) expect(componentIds).toContain(t.componentId);
      for (const m of plan.modules) expect(componentIds).toContain(m.componentId);
      for (const f of e2e.flows) expect(ids('UxFlows', 'flows')).toContain(f.uxFlowId);
      for (const c of cohorts.cohorts) expect(personaIds).toContain(c.personaId);
      for (const u of strategy.useCases) expect(personaIds).toContain(u.actor);
      for (const s of dossier.sections) for (const id of s.artifactIds) expect(all).toContain(id);
    });
  });
});
