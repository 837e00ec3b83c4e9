import { beforeAll, describe, expect, it } from 'vitest';
import { loadPhaseConfigs, type PhaseConfigSet } from '../../config/load-phase-configs.ts';
import { PHASE_NAMES } from '../../core/phases.ts';
import { parseRubricName, type RubricThreshold } from '../../core/schemas/rubric.ts';
import { evaluateGate } from '../../orchestrator/gatekeeper.ts';
import { measuredMetrics } from '../../orchestrator/measured-metrics.ts';
import { METRICS } from '../fix-hints.ts';
import { metricsFor } from '../registry.ts';
import { MEASURED_METRICS, TEST_RUBRICS, YAML_RUBRICS } from '../testing/rubrics.ts';
import { SAMPLE_IDEAS, simulateRun } from '../testing/simulate.ts';

/**
 * The phase YAML and the guards are written apart; the gatekeeper fails a rubric whose metric nobody
 * reports. These tests keep the two in step: every rubric names a metric that a guard or the
 * orchestrator reports, and the offline run passes the real YAML gates — except the rubrics of the
 * phase's `measured_metrics`, which only a tool run can satisfy (see below).
 */

/**
 * Metrics the phase coordinator adds to every phase's evidence, next to the guards' (phase-coordinator.ts):
 * the Q/A/V and refinery figures, and `self_executed` (its rubric is added when a step healed itself).
 * It also adds the phase's `measured_metrics`, computed from tool reports (measured-metrics.ts).
 */
const ORCHESTRATOR_METRICS = [
  'fission_coverage',
  'fusion_consensus',
  'kmap_conflicts',
  'qav_grounding',
  'user_prompts',
  'self_executed',
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

function configOf(phase: string) {
  const config = configs.byName.get(phase);
  if (config === undefined) throw new Error(`no builtin config for phase ${phase}`);
  return config;
}

function rubricsOf(phase: string): Readonly<Record<string, RubricThreshold>> {
  return configOf(phase).rubrics;
}

/** The metrics the orchestrator computes from the phase's tool reports (YAML `measured_metrics`). */
function measuredOf(phase: string): readonly string[] {
  return configOf(phase).measuredMetrics;
}

/** One report of each kind a measure tool stores, for the metrics they support. */
function toolReports() {
  const provenance = { source: 'tool', tool: 'test-runner@24.0.0' };
  const testReport = {
    tool: 'test-runner@24.0.0',
    command: 'node --test',
    exitCode: 0,
    passed: 1,
    failed: 0,
    skipped: 0,
    todo: 0,
    total: 1,
    durationMs: 1,
    cases: [{ name: 'TC-1.1.1 [US-1.1] works', status: 'passed', durationMs: 1 }],
    failures: [],
    parseErrors: [],
  };
  return [
    { type: 'TestReport', content: testReport, provenance },
    {
      type: 'MeasuredCoverage',
      content: { tool: 'test-runner@24.0.0', lines: 1, branches: 1, functions: 1, files: [] },
      provenance,
    },
    {
      type: 'AcceptanceRun',
      content: { ...testReport, baseUrl: 'http://127.0.0.1:1' },
      provenance: { source: 'tool', tool: 'acceptance-runner@1.0.0' },
    },
    {
      type: 'LoadTestReport',
      content: {
        tool: 'load-test@9.0.0',
        baseUrl: 'http://127.0.0.1:1',
        durationSeconds: 1,
        connections: 1,
        paths: [],
        overall: {
          requests: 1,
          throughput: 1,
          latencyMs: { p50: 1, p90: 1, p97_5: 1, p99: 1, max: 1, mean: 1 },
          errors: 0,
          timeouts: 0,
          non2xx: 0,
          errorRate: 0,
          statusCodes: { '200': 1 },
          durationSeconds: 1,
        },
      },
      provenance: { source: 'tool', tool: 'load-test@9.0.0' },
    },
    ...scannerReports(),
  ];
}

/** One clean report of each security scanner and of the accessibility check. */
function scannerReports() {
  const by = (tool: string) => ({ source: 'tool', tool });
  return [
    {
      type: 'SecretScan',
      content: { tool: 'secret-scan@1', versions: {}, scanned: { files: 1, historyBlobs: 1 }, findings: [] },
      provenance: by('secret-scan@1'),
    },
    {
      type: 'StaticAnalysis',
      content: { tool: 'sast-scan@1', versions: {}, filesScanned: 1, findings: [], parseErrors: [] },
      provenance: by('sast-scan@1'),
    },
    {
      type: 'DependencyAudit',
      content: {
        tool: 'dependency-audit@1',
        versions: {},
        status: 'ran',
        dependencies: 0,
        counts: { critical: 0, high: 0, moderate: 0, low: 0, info: 0 },
        advisories: [],
      },
      provenance: by('dependency-audit@1'),
    },
    {
      type: 'Sbom',
      content: {
        tool: 'sbom@1',
        versions: {},
        format: 'CycloneDX',
        specVersion: '1.6',
        root: { name: 'app', version: '0.1.0' },
        componentCount: 0,
        components: [],
        bom: {},
      },
      provenance: by('sbom@1'),
    },
    {
      type: 'AccessibilityScan',
      content: {
        tool: 'a11y-check@1',
        versions: { axeCore: '1', playwrightCore: '1', browser: '1' },
        baseUrl: 'http://127.0.0.1:1',
        standard: ['wcag2a'],
        pages: [
          { path: '/', url: 'http://127.0.0.1:1/', status: 200, violations: [], passes: 1, incomplete: 0 },
        ],
        counts: { critical: 0, serious: 0, moderate: 0, minor: 0 },
      },
      provenance: by('a11y-check@1'),
    },
  ];
}

describe('phase YAML rubrics and guard metrics', () => {
  it('cover the same phases', () => {
    expect([...configs.byName.keys()].sort()).toEqual([...PHASE_NAMES].sort());
  });

  it.each(PHASE_NAMES)('%s: every rubric names a metric a guard or the orchestrator reports', (phase) => {
    const measured = new Set([...metricsFor(phase), ...ORCHESTRATOR_METRICS, ...measuredOf(phase)]);
    const unmeasured = Object.keys(rubricsOf(phase)).filter((rubric) => !measured.has(metricOf(rubric)));
    expect(unmeasured).toEqual([]);
  });

  it.each(PHASE_NAMES)('%s: measured metrics come from a tool report, never from a guard', (phase) => {
    const measured = measuredOf(phase);
    expect(MEASURED_METRICS[phase] ?? []).toEqual(measured);
    // A guard reporting one would be refused by the gatekeeper: it may only come from a tool.
    expect(metricsFor(phase).filter((metric) => measured.includes(metric))).toEqual([]);
    const computed = Object.keys(measuredMetrics(toolReports(), { stories: [] }));
    expect(measured.filter((metric) => !computed.includes(metric))).toEqual([]);
    if (measured.length > 0) expect(configOf(phase).measure.length).toBeGreaterThan(0);
    for (const tool of configOf(phase).measure) expect(configOf(phase).allowlistedTools).toContain(tool);
  });

  it.each(PHASE_NAMES)('%s: every waiver names a rubric of the phase', (phase) => {
    const config = configs.byName.get(phase);
    const rubrics = Object.keys(rubricsOf(phase));
    for (const waiver of config?.waiversAllowed ?? []) expect(rubrics).toContain(waiver);
  });

  it.each(PHASE_NAMES)('%s: every guard and measured metric has a fix hint of its phase', (phase) => {
    for (const metric of [...metricsFor(phase), ...measuredOf(phase)])
      expect(METRICS[metric]?.phase).toBe(phase);
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
    // The orchestrator's Q/A/V metrics are not part of an offline run of the agents, and neither are
    // the measured metrics (story-loop acceptance, qa tests and coverage): an in-memory run has no tools
    // to measure them. Those gates are proven by the acceptance tests with real tools
    // (test/acceptance/real-software.acceptance.test.ts).
    const rubrics = Object.fromEntries(
      Object.entries(rubricsOf(phase)).filter(
        ([rubric]) =>
          !isOrchestratorMetric(metricOf(rubric)) && !measuredOf(phase).includes(metricOf(rubric)),
      ),
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
