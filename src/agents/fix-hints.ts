/**
 * From a failed rubric to an auto-fix: which strategy, which agents to re-run and the hints they get.
 * The loop-until-pass gate calls `fixPlanFor(reason)` for each failure reason and re-runs the listed
 * agents with `hints` in their `AgentInput`. Every hint starts with `fix:<rubric>` so an agent's model
 * can tell which rubric failed (the hints reach it through the prompt).
 */

export const FixStrategy = {
  /** Grounding problems (ambiguity, contradictions): re-run with the Q/A/V triad in strict mode. */
  strictQav: 'strict-qav',
  /** Coverage or count problems: re-run the agents that produce the missing pieces. */
  rerunAgents: 'rerun-agents',
  /** Security problems: fix, then re-run the scanners to prove it. */
  rescan: 'rescan',
  /** Quality of a value (economics, budgets, a11y...): regenerate the artifact with the hint. */
  regenerate: 'regenerate',
} as const;
export type FixStrategy = (typeof FixStrategy)[keyof typeof FixStrategy];

export interface MetricInfo {
  phase: string;
  /**
   * Agents whose output drives the metric: the ones to re-run. Empty when no agent of the phase does
   * (the evidence is upstream): the loop then re-runs the whole phase, and only an escalation helps.
   */
  agents: readonly string[];
  strategy: FixStrategy;
  advice: string;
}

const { strictQav, rerunAgents, rescan, regenerate } = FixStrategy;

function m(phase: string, agents: string[], strategy: FixStrategy, advice: string): MetricInfo {
  return { phase, agents: agents.map((a) => `${phase}.${a}`), strategy, advice };
}

/** Every metric a built-in guard computes, by name. */
export const METRICS: Readonly<Record<string, MetricInfo>> = {
  ambiguity: m(
    'intake',
    ['expander'],
    strictQav,
    'resolve every ambiguity with an explicit assumption and remove vague words from goals and constraints',
  ),
  blockers: m(
    'intake',
    ['validator', 'expander'],
    rerunAgents,
    'resolve each blocker with a concrete owner and action, or show why it does not block',
  ),
  feasibility: m(
    'intake',
    ['validator'],
    rerunAgents,
    'reduce scope or change approach until the goals are feasible with known technology',
  ),
  usecase_coverage: m(
    'ideation',
    ['strategy'],
    rerunAgents,
    'add a use case for every IdeaSpec goal that has none',
  ),
  personas_count: m(
    'ideation',
    ['persona'],
    rerunAgents,
    'write between 3 and 5 personas (aim for 4), consistent with the use-case actors',
  ),
  competitors_count: m(
    'ideation',
    ['competitive'],
    rerunAgents,
    'name at least three distinct competitors (direct, indirect or substitutes) with strengths and weaknesses',
  ),
  contradictions: m(
    'critique',
    ['red-team', 'assumption-challenger'],
    strictQav,
    'resolve every contradiction with a concrete resolution, or change one of the conflicting statements',
  ),
  critical_risks_unmitigated: m(
    'critique',
    ['risk-analyst'],
    regenerate,
    'give every critical risk a concrete mitigation and owner',
  ),
  challenged_assumptions_ratio: m(
    'critique',
    ['assumption-challenger'],
    rerunAgents,
    'challenge every IdeaSpec assumption, quoting its statement, with a test that could falsify it',
  ),
  traceability: m(
    'prd',
    ['trace-matrix', 'story-cutter'],
    rerunAgents,
    'give every requirement at least one story and one test in the RTM',
  ),
  acceptance_criteria_coverage: m(
    'prd',
    ['story-cutter'],
    rerunAgents,
    'write Given/When/Then acceptance criteria for every story',
  ),
  nfr_count: m(
    'prd',
    ['nfrs'],
    rerunAgents,
    'cover performance, security, privacy, accessibility, availability, scalability, observability and compliance',
  ),
  viability_score: m(
    'bizdev',
    ['unit-economics', 'pricing', 'gtm'],
    regenerate,
    'rework pricing and channels until LTV/CAC ≥ 3, gross margin ≥ 60% and payback ≤ 12 months',
  ),
  ltv_cac_ratio: m(
    'bizdev',
    ['unit-economics', 'pricing', 'gtm'],
    regenerate,
    'raise price or margin, cut churn or choose cheaper channels until lifetime value is at least three times CAC',
  ),
  payback_months: m(
    'bizdev',
    ['unit-economics', 'pricing'],
    regenerate,
    'lower CAC or raise monthly gross profit per account so that acquisition cost is earned back sooner',
  ),
  gtm_channels_count: m(
    'bizdev',
    ['gtm'],
    rerunAgents,
    'plan at least two distinct acquisition channels, each with its CAC and rationale',
  ),
  api_coverage: m(
    'architecture',
    ['api-spec'],
    rerunAgents,
    'add endpoints so that every user story is served by at least one',
  ),
  adr_count: m(
    'architecture',
    ['adr'],
    rerunAgents,
    'write an ADR for every decision that is expensive to reverse (at least three)',
  ),
  components_count: m(
    'architecture',
    ['system-design'],
    rerunAgents,
    'split the system into components with clear responsibilities',
  ),
  build_plan_coverage: m(
    'build',
    ['build-planner'],
    rerunAgents,
    'assign every user story to a build module',
  ),
  ci_stages: m(
    'build',
    ['ci-designer'],
    rerunAgents,
    'add install, lint, test, security, build and preview stages',
  ),
  scaffold_valid: m(
    'build',
    ['scaffolder'],
    rerunAgents,
    'give every file one relative path inside the repository and define the build and test scripts',
  ),
  // Measured on the workspace by scanners (security.yaml `measure`); no agent of the phase writes code,
  // so the loop re-runs the phase and the scanners measure the workspace again: a committed secret
  // stays in the git history and keeps failing until a person rotates it and rewrites the history.
  secrets: m(
    'security',
    [],
    rescan,
    'remove and rotate every committed secret (the scan names file and line; history hits need the history rewritten), load it from the environment, then re-scan',
  ),
  high_sast: m(
    'security',
    [],
    rescan,
    'fix every high static-analysis finding at the file and line the scan names, then re-scan',
  ),
  critical_cves: m(
    'security',
    [],
    rescan,
    'upgrade or override every dependency with a critical advisory (npm audit names it), then re-scan',
  ),
  high_cves: m(
    'security',
    [],
    rescan,
    'upgrade or replace dependencies with high-severity advisories, then re-scan',
  ),
  sbom: m(
    'security',
    [],
    rescan,
    'make the dependency tree resolvable so that the CycloneDX SBOM can be generated',
  ),
  threat_model_coverage: m(
    'security',
    ['threat-model'],
    rerunAgents,
    'add a mitigated threat for every architecture component',
  ),
  unprotected_pii: m(
    'security',
    ['privacy'],
    rescan,
    'record a lawful basis and retention for every personal-data field and close open high privacy findings',
  ),
  // Measured on the workspace: the fixer reads the real failing tests of the previous attempt.
  stories_done_ratio: m(
    'story-loop',
    ['fixer'],
    regenerate,
    "make every story's acceptance tests pass: fix the code the failing tests point at",
  ),
  acceptance_pass_ratio: m(
    'story-loop',
    ['fixer'],
    regenerate,
    'fix the code behind the failing acceptance tests; the acceptance run on the started app measures again',
  ),
  open_stories: m(
    'story-loop',
    ['fixer'],
    regenerate,
    'every story needs a passing acceptance test: fix the failing ones, add the missing ones',
  ),
  stories_refined_ratio: m(
    'story-loop',
    ['refiner'],
    rerunAgents,
    'refine every user story into development work',
  ),
  test_coverage: m(
    'qa',
    ['fixer'],
    rerunAgents,
    "add tests for the least covered files; Node's test runner measures again",
  ),
  e2e_flows_covered: m('qa', ['e2e-designer'], rerunAgents, 'add an end-to-end test for every UX flow'),
  test_pass_rate: m(
    'qa',
    ['fixer'],
    regenerate,
    'fix the code the failing tests point at (their names and messages are in the TestReport); the test runner measures again',
  ),
  perf_budget_met: m(
    'qa',
    ['fixer'],
    regenerate,
    'make the slow or failing endpoints meet their budgets (the load test report names them); the load test measures again',
  ),
  parse_errors: m(
    'qa',
    ['fixer'],
    regenerate,
    "fix the files that do not parse (the parser's messages are in the TestReport)",
  ),
  // Measured by axe-core in Chromium on the started app; no agent of the phase writes code.
  a11y_violations_serious: m(
    'aesthetic',
    [],
    regenerate,
    'fix every serious or critical accessibility violation at the page and element the check names',
  ),
  wcag_level_aa: m(
    'aesthetic',
    [],
    regenerate,
    'fix every violated WCAG A/AA rule on every page (the check names rule, page and element)',
  ),
  pages_failed: m('aesthetic', [], regenerate, 'make every linked page load with a 2xx status'),
  brand_consistency: m(
    'aesthetic',
    ['brand-consistency'],
    regenerate,
    'apply one button style, the type scale and the brand voice on every screen',
  ),
  high_ui_issues: m(
    'aesthetic',
    ['ui-auditor'],
    regenerate,
    'fix the high-severity UI issues on each screen and audit it again',
  ),
  release_notes_complete: m(
    'release',
    ['release-notes'],
    regenerate,
    'add highlights and list every shipped must-have story under a feature',
  ),
  dossier_sections: m(
    'release',
    ['dossier-compiler'],
    rerunAgents,
    'index every required artifact type into its dossier section',
  ),
  rollback_plan: m(
    'release',
    ['deploy-planner'],
    regenerate,
    'state the triggers that abort the rollout and the steps that restore the previous version',
  ),
  cohort_size: m(
    'beta',
    ['cohort-planner'],
    regenerate,
    'size the cohorts so the beta can show patterns (25+ accounts per persona)',
  ),
  telemetry_events: m(
    'beta',
    ['telemetry-designer'],
    rerunAgents,
    'add activation, per-feature and error events',
  ),
  feedback_channels_count: m(
    'beta',
    ['feedback-analyst'],
    rerunAgents,
    'collect feedback through at least two distinct channels, such as in-app, interviews and support',
  ),
};

const SUFFIX = /_(max|min|required|range)$/;

/** Finds the rubric in a failure reason: "contradictions_max exceeded (2 > 0)" → contradictions. */
export function parseRubric(reason: string): { rubric: string; metric: string } | undefined {
  for (const token of reason.toLowerCase().match(/[a-z][a-z0-9_]*/g) ?? []) {
    const metric = token.replace(SUFFIX, '');
    if (Object.hasOwn(METRICS, metric)) return { rubric: token, metric };
  }
  return undefined;
}

export interface FixPlan {
  /** As found in the reason (`personas_count_range`), or the whole reason when unknown. */
  rubric: string;
  metric: string | undefined;
  phase: string | undefined;
  strategy: FixStrategy;
  agents: readonly string[];
  hints: string[];
}

export function fixPlanFor(failedRubric: string): FixPlan {
  const parsed = parseRubric(failedRubric);
  if (parsed === undefined) {
    return {
      rubric: failedRubric,
      metric: undefined,
      phase: undefined,
      strategy: regenerate,
      agents: [],
      hints: [
        `fix:${failedRubric.trim()}: the gate failed for this reason; correct the output so that it no longer applies`,
      ],
    };
  }
  const info = METRICS[parsed.metric]!;
  return {
    rubric: parsed.rubric,
    metric: parsed.metric,
    phase: info.phase,
    strategy: info.strategy,
    agents: info.agents,
    hints: [`fix:${parsed.rubric}: ${info.advice}`],
  };
}

/** The hints for the agents re-run after `failedRubric` failed. */
export function fixHintsFor(failedRubric: string): string[] {
  return fixPlanFor(failedRubric).hints;
}
