import type { ArtifactView } from '../../core/agent.ts';
import { AssumptionChallenges, RedTeamFindings, RiskRegister } from '../critique/schemas.ts';
import { CompetitiveAnalysis, Personas, ProductStrategy } from '../ideation/schemas.ts';
import { IdeaSpec, IdeaValidation } from '../intake/schemas.ts';
import { findArtifact } from '../shared/artifacts.ts';
import { vagueTermsIn } from '../shared/text.ts';
import { defineGuard, distinctCount, type GuardFinding, idOf, missing, normalized, ratio } from './guard.ts';

/** Guards of the discovery phases: intake, ideation, critique. */

export const intakeGuard = defineGuard({
  phase: 'intake',
  metrics: ['ambiguity', 'blockers', 'feasibility'],
  measure(artifacts, findings) {
    const spec = findArtifact(artifacts, 'IdeaSpec', IdeaSpec);
    const validation = findArtifact(artifacts, 'IdeaValidation', IdeaValidation);
    if (spec === undefined) {
      missing(findings, 'IdeaSpec', 'ambiguity and feasibility cannot be measured');
      return {
        ambiguity: 1,
        blockers: (validation?.blockers.filter((b) => !b.resolved).length ?? 0) + 1,
        feasibility: false,
      };
    }
    const artifactId = idOf(artifacts, 'IdeaSpec');
    const statements = [...spec.goals.map((g) => g.statement), ...spec.constraints];
    const vague = statements.filter((s) => vagueTermsIn(s).length > 0);
    const unresolved = spec.ambiguities.filter(
      (a) => a.resolution === undefined || a.resolution.trim() === '',
    );
    for (const s of vague)
      findings.push({ severity: 'warning', message: `vague statement: "${s}"`, artifactId });
    for (const a of unresolved)
      findings.push({
        severity: 'warning',
        message: `unresolved ambiguity ${a.id}: ${a.statement}`,
        artifactId,
      });
    const blockers = [...spec.blockers, ...(validation?.blockers ?? [])].filter((b) => !b.resolved);
    for (const b of blockers)
      findings.push({ severity: 'error', message: `blocker ${b.id}: ${b.description}` });
    if (validation === undefined)
      findings.push({
        severity: 'warning',
        message: 'no IdeaValidation: feasibility taken from the IdeaSpec alone',
      });
    return {
      ambiguity: ratio(vague.length + unresolved.length, statements.length + spec.ambiguities.length),
      blockers: blockers.length,
      feasibility: spec.feasibility.feasible && (validation?.feasible ?? true),
    };
  },
});

export const ideationGuard = defineGuard({
  phase: 'ideation',
  metrics: ['usecase_coverage', 'personas_count', 'competitors_count'],
  measure(artifacts, findings) {
    const spec = findArtifact(artifacts, 'IdeaSpec', IdeaSpec);
    const strategy = findArtifact(artifacts, 'ProductStrategy', ProductStrategy);
    const personas = findArtifact(artifacts, 'Personas', Personas);
    const competition = findArtifact(artifacts, 'CompetitiveAnalysis', CompetitiveAnalysis);
    if (spec === undefined) missing(findings, 'IdeaSpec', 'use-case coverage is measured against its goals');
    if (strategy === undefined) missing(findings, 'ProductStrategy', 'it carries the use cases');
    if (personas === undefined) missing(findings, 'Personas', 'personas cannot be counted');
    if (competition === undefined) missing(findings, 'CompetitiveAnalysis', 'competitors cannot be counted');
    const goals = spec?.goals ?? [];
    const covered = goals.filter((g) => strategy?.useCases.some((u) => u.goalIds.includes(g.id)) ?? false);
    for (const g of goals) {
      if (!covered.includes(g))
        findings.push({ severity: 'warning', message: `goal ${g.id} has no use case: ${g.statement}` });
    }
    return {
      usecase_coverage: ratio(covered.length, goals.length),
      personas_count: personas?.personas.length ?? 0,
      // By name: the same competitor listed twice (as direct and as substitute) is one competitor.
      competitors_count: distinctCount(competition?.competitors.map((c) => c.name) ?? []),
    };
  },
});

export const critiqueGuard = defineGuard({
  phase: 'critique',
  metrics: ['contradictions', 'critical_risks_unmitigated', 'challenged_assumptions_ratio'],
  measure(artifacts, findings) {
    // The latest report of each type: a re-run after a fix hint replaces the earlier one.
    const sources = (['RedTeamFindings', 'AssumptionChallenges'] as const).flatMap((type) => {
      const schema = type === 'RedTeamFindings' ? RedTeamFindings : AssumptionChallenges;
      const content = findArtifact(artifacts, type, schema);
      return content === undefined ? [] : [{ id: idOf(artifacts, type), content }];
    });
    let contradictions = 0;
    for (const { id, content } of sources) {
      for (const f of content.findings) {
        if (f.kind !== 'contradiction' || f.resolved) continue;
        contradictions++;
        findings.push({
          severity: 'error',
          message: `unresolved contradiction ${f.id}: ${f.statement}`,
          artifactId: id,
        });
      }
    }
    const register = findArtifact(artifacts, 'RiskRegister', RiskRegister);
    if (register === undefined) missing(findings, 'RiskRegister', 'risks cannot be checked for mitigations');
    const unmitigated = (register?.risks ?? []).filter(
      (r) => r.severity === 'critical' && !r.mitigation?.trim(),
    );
    for (const r of unmitigated)
      findings.push({ severity: 'error', message: `critical risk ${r.id} has no mitigation: ${r.title}` });
    return {
      contradictions,
      critical_risks_unmitigated: unmitigated.length + (register === undefined ? 1 : 0),
      challenged_assumptions_ratio: challengedRatio(artifacts, findings),
    };
  },
});

/**
 * Share of the IdeaSpec's assumptions that the AssumptionChallenges challenge. A challenge names its
 * assumption by quoting the statement (compared normalised) or by mentioning its id (`A2`); a weak-
 * assumption finding that refers to the id also counts.
 */
function challengedRatio(artifacts: readonly ArtifactView[], findings: GuardFinding[]): number {
  const assumptions = findArtifact(artifacts, 'IdeaSpec', IdeaSpec)?.assumptions;
  const report = findArtifact(artifacts, 'AssumptionChallenges', AssumptionChallenges);
  if (assumptions === undefined)
    missing(findings, 'IdeaSpec', 'challenged assumptions are measured against its assumptions');
  if (report === undefined) missing(findings, 'AssumptionChallenges', 'no challenges to count');
  if (assumptions?.length === 0)
    findings.push({ severity: 'error', message: 'the IdeaSpec lists no assumptions to challenge' });
  const quoted = new Set(report?.challenges.map((c) => normalized(c.assumption)) ?? []);
  const texts = report?.challenges.map((c) => c.assumption) ?? [];
  const referenced = new Set(report?.findings.flatMap((f) => f.refs) ?? []);
  const challenged = (assumptions ?? []).filter(
    (a) =>
      quoted.has(normalized(a.statement)) ||
      referenced.has(a.id) ||
      texts.some((t) => new RegExp(`(^|[^A-Za-z0-9-])${escapeRegExp(a.id)}([^A-Za-z0-9-]|$)`).test(t)),
  );
  for (const a of assumptions ?? []) {
    if (!challenged.includes(a))
      findings.push({
        severity: 'warning',
        message: `assumption ${a.id} is not challenged: ${a.statement}`,
        artifactId: idOf(artifacts, 'AssumptionChallenges'),
      });
  }
  return ratio(challenged.length, assumptions?.length ?? 0);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
