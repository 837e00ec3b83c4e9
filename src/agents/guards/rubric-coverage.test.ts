import { beforeAll, describe, expect, it } from 'vitest';
import { loadPhaseConfigs, type PhaseConfigSet } from '../../config/load-phase-configs.ts';
import { PHASE_NAMES } from '../../core/phases.ts';
import { parseRubricName, type RubricThreshold } from '../../core/schemas/rubric.ts';
import { evaluateGate } from '../../orchestrator/gatekeeper.ts';
import { METRICS } from '../fix-hints.ts';
import { metricsFor } from '../registry.ts';
import { TEST_RUBRICS, YAML_RUBRICS } from '../testing/rubrics.ts';
import { SAMPLE_IDEAS, simulateRun } from '../testing/simulate.ts';

/**
 * The phase YAML and the guards are written apart; the gatekeeper fails a rubric whose metric nobody
 * reports. These tests keep the two in step: every rubric names a metric that is measured, and the
 * offline run passes the real YAML gates.
 */

/** Metrics the phase coordinator adds to every phase's evidence, next to the guards' (phase-coordinator.ts). */
const ORCHESTRATOR_METRICS = [
  'fission_coverage',
  'fusion_consensus',
  'kmap_conflicts',
  'qav_grounding',
  'user_prompts',
] as const;

const isOrchestratorMetric = (metric: string) => (ORCHESTRATOR_METRICS as readonly string[]).includes(metric);

function metricOf(rubric: string): string {
  const parsed = parseRubricName(rubric);
  if (parsed === undefined) throw new Error(`${rubric} is not a rubric name`);
  return parsed.metric;
}

let configs: PhaseConfigSet;
beforeAll(async () => {
  configs = await loadPhaseConfigs();
});

function rubricsOf(phase: string): Readonly<Record<string, RubricThreshold>> {
  const config = configs.byName.get(phase);
  if (config === undefined) throw new Error(`no builtin config for phase ${phase}`);
  return config.rubrics;
}

describe('phase YAML rubrics and guard metrics', () => {
  it('cover the same phases', () => {
    expect([...configs.byName.keys()].sort()).toEqual([...PHASE_NAMES].sort());
  });

  it.each(PHASE_NAMES)('%s: every rubric names a metric a guard or the orchestrator reports', (phase) => {
    const measured = new Set([...metricsFor(phase), ...ORCHESTRATOR_METRICS]);
    const unmeasured = Object.keys(rubricsOf(phase)).filter((rubric) => !measured.has(metricOf(rubric)));
    expect(unmeasured).toEqual([]);
  });

  it.each(PHASE_NAMES)('%s: every waiver names a rubric of the phase', (phase) => {
    const config = configs.byName.get(phase);
    const rubrics = Object.keys(rubricsOf(phase));
    for (const waiver of config?.waiversAllowed ?? []) expect(rubrics).toContain(waiver);
  });

  it.each(PHASE_NAMES)('%s: every guard metric has a fix hint of its phase', (phase) => {
    for (const metric of metricsFor(phase)) expect(METRICS[metric]?.phase).toBe(phase);
  });

  it.each(PHASE_NAMES)('%s: the test rubrics mirror the YAML and cover every guard metric', (phase) => {
    expect(YAML_RUBRICS[phase]).toEqual(rubricsOf(phase));
    const tested = new Set(Object.keys(TEST_RUBRICS[phase] ?? {}).map(metricOf));
    expect(metricsFor(phase).filter((metric) => !tested.has(metric))).toEqual([]);
  });
});

describe.each(Object.entries(SAMPLE_IDEAS))('an offline run of the %s idea', (_, idea) => {
  const run = simulateRun(idea, { maxAttempts: 1 });

  it.each(PHASE_NAMES)('passes the %s YAML gate on the first attempt, without waivers', (phase) => {
    const outcome = run.outcomes.find((o) => o.phase === phase);
    expect(outcome?.attempts).toBe(1);
    // The orchestrator's Q/A/V metrics are not part of an offline run of the agents.
    const rubrics = Object.fromEntries(
      Object.entries(rubricsOf(phase)).filter(([rubric]) => !isOrchestratorMetric(metricOf(rubric))),
    );
    const gate = evaluateGate({
      phase,
      attempt: 1,
      rubrics,
      metrics: outcome?.report.metrics ?? {},
      waiversAllowed: [],
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(gate.reasons).toEqual([]);
    expect(gate.pass).toBe(true);
    expect(gate.rubricResults.map((r) => r.rubric).sort()).toEqual(Object.keys(rubrics).sort());
  });
});
