import type { ArtifactView } from '../../core/agent.ts';
import { BrandReport, UiAudit } from '../aesthetic/schemas.ts';
import { BetaPlan, FeedbackPlan, TelemetryPlan } from '../beta/schemas.ts';
import { UserStories, UxFlows } from '../prd/schemas.ts';
import { E2eSuite } from '../qa/schemas.ts';
import { DeployPlan, ReleaseDossier, ReleaseNotes } from '../release/schemas.ts';
import { findAllArtifacts, findArtifact } from '../shared/artifacts.ts';
import { RefinedStories } from '../story-loop/schemas.ts';
import {
  defineGuard,
  distinctCount,
  type GuardFinding,
  idOf,
  missing,
  NO_EVIDENCE_COUNT,
  ratio,
} from './guard.ts';

/** Guards of the quality and launch phases: qa, aesthetic, release, beta. */

/**
 * QA's pass rate, coverage and parse errors are measured by the test runner on the workspace, never
 * read from agent output (`src/orchestrator/measured-metrics.ts`). The guard checks what the agents
 * designed: an end-to-end test for every UX flow.
 */
export const qaGuard = defineGuard({
  phase: 'qa',
  metrics: ['e2e_flows_covered'],
  measure(artifacts, findings) {
    const flows = findArtifact(artifacts, 'UxFlows', UxFlows)?.flows;
    const suite = findArtifact(artifacts, 'E2eSuite', E2eSuite);
    if (flows === undefined)
      missing(findings, 'UxFlows', 'end-to-end coverage is measured against the UX flows');
    if (suite === undefined) missing(findings, 'E2eSuite', 'no end-to-end tests');
    const tested = new Set(suite?.flows.map((f) => f.uxFlowId) ?? []);
    const covered = (flows ?? []).filter((f) => tested.has(f.id));
    for (const f of flows ?? [])
      if (!tested.has(f.id))
        findings.push({ severity: 'warning', message: `UX flow ${f.id} has no end-to-end test` });
    return { e2e_flows_covered: ratio(covered.length, flows?.length ?? 0) };
  },
});

/**
 * The aesthetic guard checks what the reviewers judged: UI issues and brand consistency. Accessibility
 * is measured by axe-core in Chromium (src/orchestrator/accessibility-metrics.ts), never by an agent.
 */
export const aestheticGuard = defineGuard({
  phase: 'aesthetic',
  metrics: ['brand_consistency', 'high_ui_issues'],
  measure(artifacts, findings) {
    const brand = findArtifact(artifacts, 'BrandReport', BrandReport);
    const ui = findArtifact(artifacts, 'UiAudit', UiAudit);
    if (brand === undefined) missing(findings, 'BrandReport', 'brand checks cannot be counted');
    if (ui === undefined) missing(findings, 'UiAudit', 'UI issues cannot be counted');
    const high = (ui?.screens ?? []).flatMap((screen) =>
      screen.issues.filter((i) => i.severity === 'high').map((i) => ({ screen: screen.name, ...i })),
    );
    for (const i of high)
      findings.push({
        severity: 'warning',
        message: `high UI issue on ${i.screen}: ${i.description}`,
        artifactId: idOf(artifacts, 'UiAudit'),
      });
    const checks = brand?.checks ?? [];
    return {
      brand_consistency: ratio(checks.filter((c) => c.passed).length, checks.length),
      high_ui_issues: ui === undefined ? NO_EVIDENCE_COUNT : high.length,
    };
  },
});

function notesComplete(artifacts: readonly ArtifactView[], findings: GuardFinding[]): boolean {
  const notes = findArtifact(artifacts, 'ReleaseNotes', ReleaseNotes);
  if (notes === undefined) {
    missing(findings, 'ReleaseNotes', 'nothing to check');
    return false;
  }
  const problems: string[] = [];
  if (notes.summary.trim() === '') problems.push('empty summary');
  if (notes.highlights.length === 0) problems.push('no highlights');
  if (notes.features.length === 0) problems.push('no features');
  const stories = findArtifact(artifacts, 'UserStories', UserStories)?.stories ?? [];
  const refined = findAllArtifacts(artifacts, 'RefinedStories', RefinedStories).flatMap(
    (a) => a.content.stories,
  );
  const shipped =
    refined.length === 0
      ? undefined
      : new Set(refined.filter((s) => s.status === 'done').map((s) => s.userStoryId));
  const listed = new Set(notes.features.flatMap((f) => f.storyIds));
  const unlisted = stories.filter(
    (s) => s.priority === 'must' && (shipped?.has(s.id) ?? true) && !listed.has(s.id),
  );
  if (unlisted.length > 0)
    problems.push(`shipped must-have stories not listed: ${unlisted.map((s) => s.id).join(', ')}`);
  for (const p of problems) findings.push({ severity: 'error', message: `release notes incomplete: ${p}` });
  return problems.length === 0;
}

export const releaseGuard = defineGuard({
  phase: 'release',
  metrics: ['release_notes_complete', 'dossier_sections', 'rollback_plan'],
  measure(artifacts, findings) {
    const dossier = findArtifact(artifacts, 'ReleaseDossier', ReleaseDossier);
    if (dossier === undefined) missing(findings, 'ReleaseDossier', 'no sections to count');
    // With upstream artifacts at hand, a section counts only if it points at an artifact that exists.
    const known = new Set(artifacts.map((a) => a.id));
    const verify = artifacts.some((a) => a.phase !== 'release');
    const sections = (dossier?.sections ?? []).filter((s) =>
      s.artifactIds.some((id) => !verify || known.has(id)),
    );
    for (const m of dossier?.missing ?? [])
      findings.push({ severity: 'info', message: `dossier lacks ${m}` });
    return {
      release_notes_complete: notesComplete(artifacts, findings),
      dossier_sections: sections.length,
      rollback_plan: rollbackPlanned(artifacts, findings),
    };
  },
});

/** The DeployPlan says when to roll back and how: at least one trigger and one step, not blank. */
function rollbackPlanned(artifacts: readonly ArtifactView[], findings: GuardFinding[]): boolean {
  const plan = findArtifact(artifacts, 'DeployPlan', DeployPlan);
  if (plan === undefined) {
    missing(findings, 'DeployPlan', 'it carries the rollback plan');
    return false;
  }
  const filled = (list: readonly string[]) => list.some((x) => x.trim() !== '');
  const ok = filled(plan.rollback.triggers) && filled(plan.rollback.steps);
  if (!ok)
    findings.push({
      severity: 'error',
      message: 'the rollback plan lacks a trigger or a step',
      artifactId: idOf(artifacts, 'DeployPlan'),
    });
  return ok;
}

export const betaGuard = defineGuard({
  phase: 'beta',
  metrics: ['cohort_size', 'telemetry_events', 'feedback_channels_count'],
  measure(artifacts, findings) {
    const plan = findArtifact(artifacts, 'BetaPlan', BetaPlan);
    const telemetry = findArtifact(artifacts, 'TelemetryPlan', TelemetryPlan);
    const feedback = findArtifact(artifacts, 'FeedbackPlan', FeedbackPlan);
    if (plan === undefined) missing(findings, 'BetaPlan', 'no cohorts to count');
    if (telemetry === undefined) missing(findings, 'TelemetryPlan', 'no events to count');
    if (feedback === undefined) missing(findings, 'FeedbackPlan', 'no feedback channels to count');
    return {
      cohort_size: (plan?.cohorts ?? []).reduce((sum, c) => sum + c.size, 0),
      telemetry_events: new Set(telemetry?.events.map((e) => e.name) ?? []).size,
      feedback_channels_count: distinctCount(feedback?.channels ?? []),
    };
  },
});
