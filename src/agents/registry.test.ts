import { describe, expect, it } from 'vitest';
import { IdeaMineError } from '../core/errors.ts';
import { PHASE_NAMES } from '../core/phases.ts';
import { FixStrategy, fixHintsFor, fixPlanFor, METRICS, parseRubric } from './fix-hints.ts';
import { agentsForPhase, builtinAgents, getAgent, guardsFor, metricsFor } from './registry.ts';
import { MEASURED_METRICS } from './testing/rubrics.ts';

const METRICS_BY_PHASE: Record<string, string[]> = {
  intake: ['ambiguity', 'blockers', 'feasibility'],
  ideation: ['usecase_coverage', 'personas_count', 'competitors_count'],
  critique: ['contradictions', 'critical_risks_unmitigated', 'challenged_assumptions_ratio'],
  prd: ['traceability', 'acceptance_criteria_coverage', 'nfr_count'],
  bizdev: ['viability_score', 'ltv_cac_ratio', 'payback_months', 'gtm_channels_count'],
  architecture: ['api_coverage', 'adr_count', 'components_count'],
  build: ['build_plan_coverage', 'ci_stages', 'scaffold_valid'],
  security: ['threat_model_coverage', 'unprotected_pii'],
  // The story-loop's acceptance metrics, qa's test metrics, the security scans and the accessibility
  // check are measured by tools, not guards (MEASURED_METRICS, src/orchestrator/measured-metrics.ts).
  'story-loop': ['stories_refined_ratio'],
  qa: ['e2e_flows_covered'],
  aesthetic: ['brand_consistency', 'high_ui_issues'],
  release: ['release_notes_complete', 'dossier_sections', 'rollback_plan'],
  beta: ['cohort_size', 'telemetry_events', 'feedback_channels_count'],
};

describe('registry', () => {
  it('finds agents by id and by id@version', () => {
    expect(getAgent('intake.classifier').produces).toBe('IdeaClassification');
    expect(getAgent('security.privacy@1.0.0').id).toBe('security.privacy');
  });

  it('fails with NOT_FOUND listing the known ids', () => {
    const error = (() => {
      try {
        getAgent('intake.oracle');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(IdeaMineError);
    expect((error as IdeaMineError).code).toBe('NOT_FOUND');
    expect((error as IdeaMineError).message).toContain('intake.classifier');
    expect((error as IdeaMineError).message).toContain('beta.feedback-analyst');
    expect(() => getAgent('intake.classifier@9.9.9')).toThrow(/version 1\.0\.0/);
  });

  it('has one guard per phase computing the documented metrics', () => {
    for (const phase of PHASE_NAMES) {
      expect(guardsFor(phase)).toHaveLength(1);
      expect(metricsFor(phase)).toEqual(METRICS_BY_PHASE[phase]);
    }
    expect(guardsFor('nope')).toEqual([]);
    expect(agentsForPhase('nope')).toEqual([]);
  });

  it('guards report every metric and reject nothing on empty input', () => {
    for (const phase of PHASE_NAMES) {
      const [guard] = guardsFor(phase);
      const report = guard!.evaluate([]);
      expect(report.guardId).toBe(`${phase}.guard`);
      expect(Object.keys(report.metrics).sort()).toEqual([...(METRICS_BY_PHASE[phase] ?? [])].sort());
      expect(report.findings.some((f) => f.severity === 'error')).toBe(true);
    }
  });
});

describe('fix hints', () => {
  it('cover exactly the guard and measured metrics, each owned by agents of its phase', () => {
    const byPhase = (phase: string) => [
      ...(METRICS_BY_PHASE[phase] ?? []),
      ...(MEASURED_METRICS[phase] ?? []),
    ];
    expect(Object.keys(METRICS).sort()).toEqual(PHASE_NAMES.flatMap(byPhase).sort());
    for (const [metric, info] of Object.entries(METRICS)) {
      expect(byPhase(info.phase)).toContain(metric);
      for (const id of info.agents) expect(builtinAgents.get(id)?.phase).toBe(info.phase);
    }
  });

  it('send the failures of measured metrics to the fixer of their phase, where it has one', () => {
    for (const [phase, metrics] of Object.entries(MEASURED_METRICS)) {
      const fixer = builtinAgents.has(`${phase}.fixer`) ? [`${phase}.fixer`] : [];
      for (const metric of metrics) expect(METRICS[metric]?.agents).toEqual(fixer);
    }
    expect(fixPlanFor('stories_refined_ratio_min').agents).toEqual(['story-loop.refiner']);
  });

  it('find the rubric in a failure reason', () => {
    expect(parseRubric('contradictions_max exceeded (2 > 0)')).toEqual({
      rubric: 'contradictions_max',
      metric: 'contradictions',
    });
    expect(parseRubric('personas_count_range')).toEqual({
      rubric: 'personas_count_range',
      metric: 'personas_count',
    });
    expect(parseRubric('critique.contradictions_max')).toEqual({
      rubric: 'contradictions_max',
      metric: 'contradictions',
    });
    expect(parseRubric('gate timed out')).toBeUndefined();
  });

  it('choose the strategy from the failure reason', () => {
    expect(fixPlanFor('ambiguity_max exceeded').strategy).toBe(FixStrategy.strictQav);
    expect(fixPlanFor('usecase_coverage_min not met').strategy).toBe(FixStrategy.rerunAgents);
    expect(fixPlanFor('critical_cves_max exceeded').strategy).toBe(FixStrategy.rescan);
    expect(fixPlanFor('test_pass_rate_min not met (0.9 < 1)').strategy).toBe(FixStrategy.regenerate);
    expect(fixPlanFor('e2e_flows_covered_min').strategy).toBe(FixStrategy.rerunAgents);
    expect(fixPlanFor('personas_count_range').agents).toEqual(['ideation.persona']);
    const unknown = fixPlanFor('gate timed out');
    expect(unknown).toMatchObject({ metric: undefined, strategy: FixStrategy.regenerate, agents: [] });
    expect(unknown.hints[0]).toContain('gate timed out');
  });

  it('name their own metric and no other', () => {
    for (const metric of Object.keys(METRICS)) {
      const hints = fixHintsFor(`${metric}_max`);
      expect(hints[0]?.startsWith(`fix:${metric}_max: `)).toBe(true);
      const named = (hints[0]?.toLowerCase().match(/[a-z][a-z0-9_]*/g) ?? [])
        .map((token) => token.replace(/_(max|min|required|range)$/, ''))
        .filter((token) => Object.hasOwn(METRICS, token));
      expect(new Set(named)).toEqual(new Set([metric]));
    }
  });
});
