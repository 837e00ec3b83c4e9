import { describe, expect, it } from 'vitest';
import {
  defineFault,
  type Fault,
  type FaultCalls,
  faultTransform,
  singleNfr,
  singlePersona,
  unmitigatedCriticalRisk,
  unresolvedContradictions,
} from '../../test/support/faulty-model.ts';
import type { ArtifactView, Idea } from '../core/agent.ts';
import { PHASE_NAMES } from '../core/phases.ts';
import { BrandReport, UiAudit } from './aesthetic/schemas.ts';
import { ADRs, ApiSpec, ArchitectureSpec } from './architecture/schemas.ts';
import { BetaPlan, FeedbackPlan, TelemetryPlan } from './beta/schemas.ts';
import { BusinessModel, GoToMarketPlan } from './bizdev/schemas.ts';
import { AssumptionChallenges } from './critique/schemas.ts';
import { fixPlanFor, METRICS } from './fix-hints.ts';
import { CompetitiveAnalysis, ProductStrategy } from './ideation/schemas.ts';
import { IdeaSpec, IdeaValidation } from './intake/schemas.ts';
import { RTM, UserStories } from './prd/schemas.ts';
import { DeployPlan, ReleaseDossier, ReleaseNotes } from './release/schemas.ts';
import { PrivacyAssessment, ThreatModel } from './security/schemas.ts';
import type { SecurityFinding } from './shared/schemas.ts';
import { failedRubrics, TEST_RUBRICS } from './testing/rubrics.ts';
import { evaluatePhase, runPhase, runPhaseUntilPass, SAMPLE_IDEAS } from './testing/simulate.ts';

/**
 * A broken output fails its rubric with the right reason, the fix plan of that reason names the agent
 * that produced it, and the loop recovers once the agent's output is no longer broken. The faults are
 * the test-only faulty model's (test/support/faulty-model.ts), applied to the synthesizers' outputs.
 */

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

function openFinding(scanner: string, n: number, finding: Partial<SecurityFinding>): SecurityFinding {
  return {
    id: `${scanner.toUpperCase()}-FAULT-${n}`,
    scanner,
    severity: 'critical',
    title: `Injected ${scanner} finding ${n}`,
    location: 'src/index.ts',
    status: 'open',
    remediation: 'Fix it and re-scan.',
    ...finding,
  };
}

const poorEconomics = (calls: FaultCalls) =>
  defineFault(
    'bizdev.unit-economics',
    BusinessModel,
    (o) => ({
      ...o,
      unitEconomics: { ...o.unitEconomics, cacUsd: 400, grossMarginPct: 30, monthlyChurnPct: 15 },
    }),
    calls,
  );

/**
 * A fault per metric, on an agent the metric's fix plan re-runs. The build, story-loop and qa agents
 * are being rewritten; their faults belong with the rewrite. `test_pass_rate` names no agent.
 */
const FAULTS: Readonly<Record<string, (calls: FaultCalls) => Fault>> = {
  ambiguity: (calls) =>
    defineFault(
      'intake.expander',
      IdeaSpec,
      (o) => ({ ...o, ambiguities: o.ambiguities.map((a) => ({ id: a.id, statement: a.statement })) }),
      calls,
    ),
  blockers: (calls) =>
    defineFault(
      'intake.validator',
      IdeaValidation,
      (o): IdeaValidation => ({
        ...o,
        verdict: 'no-go',
        blockers: [{ id: 'B1', description: 'No owner for the GDPR review.', resolved: false }],
      }),
      calls,
    ),
  feasibility: (calls) =>
    defineFault(
      'intake.validator',
      IdeaValidation,
      (o): IdeaValidation => ({ ...o, verdict: 'no-go', feasible: false }),
      calls,
    ),
  usecase_coverage: (calls) =>
    defineFault(
      'ideation.strategy',
      ProductStrategy,
      (o) => ({ ...o, useCases: o.useCases.map((u) => ({ ...u, goalIds: [] })) }),
      calls,
    ),
  personas_count: singlePersona,
  competitors_count: (calls) =>
    defineFault(
      'ideation.competitive',
      CompetitiveAnalysis,
      (o) => ({ ...o, competitors: o.competitors.slice(0, 1) }),
      calls,
    ),
  contradictions: unresolvedContradictions,
  critical_risks_unmitigated: unmitigatedCriticalRisk,
  challenged_assumptions_ratio: (calls) =>
    defineFault(
      'critique.assumption-challenger',
      AssumptionChallenges,
      () => ({ challenges: [], findings: [] }),
      calls,
    ),
  traceability: (calls) =>
    defineFault(
      'prd.trace-matrix',
      RTM,
      (o) => ({ rows: o.rows.map((r) => ({ ...r, testIds: [] })) }),
      calls,
    ),
  acceptance_criteria_coverage: (calls) =>
    defineFault(
      'prd.story-cutter',
      UserStories,
      (o) => ({ stories: o.stories.map((s, i) => (i % 2 === 1 ? { ...s, acceptanceCriteria: [] } : s)) }),
      calls,
    ),
  nfr_count: singleNfr,
  viability_score: poorEconomics,
  ltv_cac_ratio: poorEconomics,
  payback_months: poorEconomics,
  gtm_channels_count: (calls) =>
    defineFault('bizdev.gtm', GoToMarketPlan, (o) => ({ ...o, channels: o.channels.slice(0, 1) }), calls),
  api_coverage: (calls) =>
    defineFault(
      'architecture.api-spec',
      ApiSpec,
      (o) => ({ ...o, endpoints: o.endpoints.map((e) => ({ ...e, storyIds: [] })) }),
      calls,
    ),
  adr_count: (calls) => defineFault('architecture.adr', ADRs, () => ({ adrs: [] }), calls),
  components_count: (calls) =>
    defineFault(
      'architecture.system-design',
      ArchitectureSpec,
      (o) => ({ ...o, components: o.components.slice(0, 1), dataFlows: [] }),
      calls,
    ),
  threat_model_coverage: (calls) =>
    defineFault('security.threat-model', ThreatModel, (o) => ({ ...o, threats: [] }), calls),
  unprotected_pii: (calls) =>
    defineFault(
      'security.privacy',
      PrivacyAssessment,
      (o) => ({ ...o, findings: [...o.findings, openFinding('privacy', 1, { severity: 'high' })] }),
      calls,
    ),
  brand_consistency: (calls) =>
    defineFault(
      'aesthetic.brand-consistency',
      BrandReport,
      (o) => ({ ...o, checks: o.checks.map((c) => ({ ...c, passed: false })) }),
      calls,
    ),
  high_ui_issues: (calls) =>
    defineFault(
      'aesthetic.ui-auditor',
      UiAudit,
      (o): UiAudit => ({
        ...o,
        screens: o.screens.map((s, i) =>
          i === 0
            ? {
                ...s,
                issues: [
                  ...s.issues,
                  ...[1, 2, 3, 4].map((n) => ({
                    severity: 'high' as const,
                    description: `Injected issue ${n}`,
                    fix: 'Fix it.',
                  })),
                ],
              }
            : s,
        ),
      }),
      calls,
    ),
  release_notes_complete: (calls) =>
    defineFault('release.release-notes', ReleaseNotes, (o) => ({ ...o, highlights: [] }), calls),
  dossier_sections: (calls) =>
    defineFault(
      'release.dossier-compiler',
      ReleaseDossier,
      (o) => ({ ...o, sections: o.sections.slice(0, 2) }),
      calls,
    ),
  rollback_plan: (calls) =>
    defineFault(
      'release.deploy-planner',
      DeployPlan,
      (o) => ({ ...o, rollback: { triggers: [' '], steps: [' '] } }),
      calls,
    ),
  cohort_size: (calls) =>
    defineFault(
      'beta.cohort-planner',
      BetaPlan,
      (o) => ({ ...o, cohorts: o.cohorts.map((c, i) => ({ ...c, size: i === 0 ? 5 : 0 })) }),
      calls,
    ),
  telemetry_events: (calls) =>
    defineFault(
      'beta.telemetry-designer',
      TelemetryPlan,
      (o) => ({ ...o, events: o.events.slice(0, 1) }),
      calls,
    ),
  feedback_channels_count: (calls) =>
    defineFault(
      'beta.feedback-analyst',
      FeedbackPlan,
      (o) => ({ ...o, channels: o.channels.slice(0, 1) }),
      calls,
    ),
};

const BEING_REWRITTEN = new Set(['build', 'story-loop', 'qa']);

describe('faults cover the metrics', () => {
  it('every metric of the phases not being rewritten has a fault on an agent its fix plan re-runs', () => {
    const expected = Object.entries(METRICS)
      .filter(([, info]) => !BEING_REWRITTEN.has(info.phase) && info.agents.length > 0)
      .map(([metric]) => metric)
      .sort();
    expect(Object.keys(FAULTS).sort()).toEqual(expected);
    for (const [metric, fault] of Object.entries(FAULTS))
      expect(METRICS[metric]?.agents).toContain(fault('first').agentId);
  });
});

describe.each(Object.entries(FAULTS))('a faulty output for %s', (metric, fault) => {
  const info = METRICS[metric]!;
  const idea = SAMPLE_IDEAS.camping;
  const upstream = upstreamFor(idea, info.phase);
  const rubric = rubricOf(info.phase, metric);

  it('fails its rubric once; the fix plan re-runs its agent; the next attempt passes', () => {
    const transform = faultTransform([fault('first')]);
    const outcome = runPhaseUntilPass(info.phase, idea, upstream, 5, { transform });
    expect(outcome.failures[0]).toContain(rubric);
    expect(fixPlanFor(rubric).agents).toContain(fault('first').agentId);
    expect(outcome).toMatchObject({ attempts: 2, passed: true });
  });

  it('fails every attempt when the fault persists, until the loop gives up', () => {
    const transform = faultTransform([fault('all')]);
    const outcome = runPhaseUntilPass(info.phase, idea, upstream, 3, { transform });
    expect(outcome.passed).toBe(false);
    expect(outcome.failures).toHaveLength(3);
    for (const failed of outcome.failures) expect(failed).toContain(rubric);
  });
});

describe('the offline synthesizers ignore the wording of fix hints', () => {
  const idea = SAMPLE_IDEAS.todo;
  const upstream = upstreamFor(idea, 'critique');

  it('two unresolved contradictions fail contradictions_max, and nothing else', () => {
    const transform = faultTransform([unresolvedContradictions('first')]);
    const report = evaluatePhase('critique', [
      ...upstream,
      ...runPhase('critique', idea, upstream, { transform }),
    ]);
    expect(report.metrics['contradictions']).toBe(2);
    expect(failedRubrics(report.metrics, TEST_RUBRICS['critique'] ?? {})).toEqual(['contradictions_max']);
  });

  it('a hint changes no offline output: the same input with and without hints gives the same artifacts', () => {
    const artifacts: ArtifactView[] = [];
    for (const phase of PHASE_NAMES) {
      const plain = runPhase(phase, idea, artifacts);
      if (!BEING_REWRITTEN.has(phase)) {
        const hints = Object.keys(TEST_RUBRICS[phase] ?? {}).flatMap((r) => fixPlanFor(r).hints);
        const hinted = runPhase(phase, idea, artifacts, { hints, attempt: 2 });
        expect({ phase, contents: hinted.map((a) => a.content) }).toEqual({
          phase,
          contents: plain.map((a) => a.content),
        });
      }
      artifacts.push(...plain);
    }
  });

  it('a malformed fault is refused: the faulty output must satisfy the agent schema', () => {
    const broken: Fault = {
      agentId: 'critique.red-team',
      calls: 'all',
      mutate: () => ({ findings: 'none' }),
    };
    expect(() => runPhase('critique', idea, upstream, { transform: faultTransform([broken]) })).toThrow(
      /malformed test fault for critique\.red-team/,
    );
  });
});
