import { describe, expect, it } from 'vitest';
import type { ArtifactView, Idea } from '../core/agent.ts';
import { PHASE_NAMES } from '../core/phases.ts';
import { fixHintsFor, METRICS } from './fix-hints.ts';
import { failedRubrics, TEST_RUBRICS } from './testing/rubrics.ts';
import { evaluatePhase, runPhase, runPhaseUntilPass, SAMPLE_IDEAS } from './testing/simulate.ts';

function withMarker(idea: Idea, marker: string): Idea {
  return { ...idea, description: `${idea.description} ${marker}` };
}

/** The artifacts of every phase before `phase`, each passed on its first attempt. */
function upstreamFor(idea: Idea, phase: string): ArtifactView[] {
  const artifacts: ArtifactView[] = [];
  for (const p of PHASE_NAMES) {
    if (p === phase) break;
    artifacts.push(...runPhase(p, idea, artifacts));
  }
  return artifacts;
}

function rubricOf(phase: string, metric: string): string {
  const rubric = Object.keys(TEST_RUBRICS[phase] ?? {}).find(
    (r) => r.replace(/_(max|min|required|range)$/, '') === metric,
  );
  if (rubric === undefined) throw new Error(`no test rubric for ${metric}`);
  return rubric;
}

// Metrics added to match the phase YAML have no marker in the synthesizers yet (MetricInfo.defectMarker).
const MARKED = Object.entries(METRICS).filter(([, info]) => info.defectMarker);

describe.each(MARKED)('defect marker for %s', (metric, info) => {
  const base = SAMPLE_IDEAS.camping;

  it('[defect:...] fails the rubric once, and the fix hint repairs it', () => {
    const idea = withMarker(base, `[defect:${metric}]`);
    const outcome = runPhaseUntilPass(info.phase, idea, upstreamFor(idea, info.phase), 5);
    expect(outcome.failures[0]).toContain(rubricOf(info.phase, metric));
    expect(outcome).toMatchObject({ attempts: 2, passed: true });
  });

  it('[defect-persistent:...] fails every attempt until the gate gives up', () => {
    const idea = withMarker(base, `[defect-persistent:${metric}]`);
    const outcome = runPhaseUntilPass(info.phase, idea, upstreamFor(idea, info.phase), 3);
    expect(outcome.passed).toBe(false);
    expect(outcome.failures).toHaveLength(3);
    for (const failed of outcome.failures) expect(failed).toContain(rubricOf(info.phase, metric));
  });
});

describe('fix hints drive the synthesizers', () => {
  const idea = withMarker(SAMPLE_IDEAS.todo, '[defect:contradictions]');
  const upstream = upstreamFor(idea, 'critique');

  it('a critique with contradictions fails contradictions_max with two unresolved contradictions', () => {
    const report = evaluatePhase('critique', [...upstream, ...runPhase('critique', idea, upstream)]);
    expect(report.metrics['contradictions']).toBe(2);
    expect(failedRubrics(report.metrics, TEST_RUBRICS['critique'] ?? {})).toEqual(['contradictions_max']);
  });

  it('a later attempt without the hint is still broken: hints fix it, not the attempt number', () => {
    const report = evaluatePhase('critique', [
      ...upstream,
      ...runPhase('critique', idea, upstream, { attempt: 4 }),
    ]);
    expect(report.metrics['contradictions']).toBe(2);
    const fixed = runPhase('critique', idea, upstream, {
      attempt: 2,
      hints: fixHintsFor('contradictions_max exceeded (2 > 0)'),
    });
    expect(evaluatePhase('critique', [...upstream, ...fixed]).metrics['contradictions']).toBe(0);
  });

  it('a personas_count_range hint yields 4 personas even without a defect', () => {
    const plain = SAMPLE_IDEAS.health;
    const up = upstreamFor(plain, 'ideation');
    const before = evaluatePhase('ideation', [...up, ...runPhase('ideation', plain, up)]);
    const after = evaluatePhase('ideation', [
      ...up,
      ...runPhase('ideation', plain, up, { hints: fixHintsFor('personas_count_range') }),
    ]);
    expect([before.metrics['personas_count'], after.metrics['personas_count']]).toEqual([3, 4]);
  });

  it('a defect for one metric leaves the other phases alone', () => {
    const marked = withMarker(SAMPLE_IDEAS.todo, '[defect:secrets]');
    for (const phase of ['intake', 'prd', 'architecture']) {
      const up = upstreamFor(marked, phase);
      const report = evaluatePhase(phase, [...up, ...runPhase(phase, marked, up)]);
      expect(failedRubrics(report.metrics, TEST_RUBRICS[phase] ?? {})).toEqual([]);
    }
  });
});
