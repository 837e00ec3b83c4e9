import { z } from 'zod';
import { AccessibilityScan } from '../core/schemas/accessibility-report.ts';
import { DependencyAudit, Sbom, SecretScan, StaticAnalysis } from '../core/schemas/security-reports.ts';
import {
  AcceptanceRun,
  LoadTestReport,
  MeasuredCoverage,
  parseAcceptanceTestName,
  type TestCaseResult,
  TestReport,
} from '../core/schemas/tool-reports.ts';
import { accessibilityMetrics } from './accessibility-metrics.ts';
import { firstLine, listed, ratio } from './metric-text.ts';
import {
  auditMetrics,
  auditUnmeasured,
  sbomMetrics,
  secretMetrics,
  staticAnalysisMetrics,
} from './security-metrics.ts';

/**
 * Gate metrics computed from tool reports only. An artifact counts as a tool report when its
 * provenance says `source: 'tool'` — that is written by the measure stage alone, never by an agent's
 * task — so an agent that emits a `TestReport`-shaped artifact of its own measures nothing.
 */

export interface MetricSource {
  /** `tool` for a figure a tool measured; `agent` for one derived by a guard from agent output. */
  source: 'tool' | 'agent';
  /** Who produced it: `test-runner@24.21.0`, or the guard id. */
  by: string;
  /** Evidence for a reader of a failed gate: failing tests, parse errors, stories without a pass. */
  detail?: string;
}

export interface MeasuredValue extends MetricSource {
  value: number | boolean;
}

export interface ToolArtifact {
  type: string;
  content: unknown;
  provenance: Record<string, unknown>;
}

/** The parts of `UserStories` the acceptance metrics need (read structurally: agents' schemas live above). */
const StoriesShape = z.object({
  stories: z.array(
    z.object({ id: z.string(), acceptanceCriteria: z.array(z.object({ id: z.string() })) }).loose(),
  ),
});
export type StoriesShape = z.infer<typeof StoriesShape>;

export function isToolReport(a: { provenance: Record<string, unknown> }): boolean {
  return a.provenance['source'] === 'tool' && typeof a.provenance['tool'] === 'string';
}

/** A criterion `AC-1.2.3` is proven by the test `TC-1.2.3` (the PRD's id thread). */
export function testIdFor(criterionId: string): string {
  return criterionId.replace(/^AC-/, 'TC-');
}

function failureLines(report: TestReport): string[] {
  return report.failures.map((f) => `${f.name}: ${firstLine(f.message)}`);
}

/** Metrics of a test run: pass rate of every test that was reported, and files that did not parse. */
function testMetrics(report: TestReport, tool: string): Record<string, MeasuredValue> {
  const notPassed = report.total - report.passed;
  const parse = report.parseErrors.map((e) => `${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}`);
  const failing = failureLines(report);
  const unfinished = report.cases
    .filter((c) => c.status === 'todo' || c.status === 'skipped' || c.status === 'cancelled')
    .map((c) => `${c.name} (${c.status})`);
  return {
    test_pass_rate: {
      value: ratio(report.passed, report.total),
      source: 'tool',
      by: tool,
      detail:
        report.total === 0
          ? 'no tests ran'
          : notPassed === 0
            ? `${report.passed}/${report.total} tests passed`
            : `${report.passed}/${report.total} passed; failing: ${listed([...failing, ...unfinished])}`,
    },
    tests_failed: { value: report.failed, source: 'tool', by: tool, detail: listed(failing) },
    parse_errors: {
      value: report.parseErrors.length,
      source: 'tool',
      by: tool,
      detail: parse.length > 0 ? listed(parse) : 'every file parsed',
    },
  };
}

function coverageMetrics(report: MeasuredCoverage, tool: string): Record<string, MeasuredValue> {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  return {
    test_coverage: {
      value: report.lines,
      source: 'tool',
      by: tool,
      detail: `lines ${pct(report.lines)}, branches ${pct(report.branches)}, functions ${pct(report.functions)}`,
    },
  };
}

/**
 * Story-loop metrics: a criterion passes when its acceptance test (`TC-…`) ran and passed; a story is
 * done when it has at least one acceptance test and all of them passed. The denominators come from the
 * PRD's stories, so a story the build forgot shows up as open instead of vanishing.
 */
export function acceptanceMetrics(
  run: AcceptanceRun,
  tool: string,
  stories: StoriesShape['stories'],
): Record<string, MeasuredValue> {
  const byTest = new Map<string, TestCaseResult[]>();
  const byStory = new Map<string, TestCaseResult[]>();
  for (const c of run.cases) {
    const ids = parseAcceptanceTestName(c.name);
    if (!ids) continue;
    byTest.set(ids.testId, [...(byTest.get(ids.testId) ?? []), c]);
    byStory.set(ids.storyId, [...(byStory.get(ids.storyId) ?? []), c]);
  }
  const passedAll = (cases: readonly TestCaseResult[] | undefined) =>
    cases !== undefined && cases.length > 0 && cases.every((c) => c.status === 'passed');
  const criteria = stories.flatMap((s) => s.acceptanceCriteria.map((c) => testIdFor(c.id)));
  const failedCriteria = criteria.filter((t) => !passedAll(byTest.get(t)));
  const open = stories.filter((s) => !passedAll(byStory.get(s.id)));
  const why = (s: { id: string }) => {
    const cases = byStory.get(s.id);
    if (!cases || cases.length === 0) return `${s.id} has no acceptance test`;
    const bad = cases.filter((c) => c.status !== 'passed');
    return `${s.id}: ${bad.map((c) => `${c.name} ${c.status}${c.message ? ` (${firstLine(c.message)})` : ''}`).join(', ')}`;
  };
  const start = run.startError ? `the app did not start: ${firstLine(run.startError)}; ` : '';
  return {
    acceptance_pass_ratio: {
      value: ratio(criteria.length - failedCriteria.length, criteria.length),
      source: 'tool',
      by: tool,
      detail:
        failedCriteria.length === 0
          ? `${criteria.length}/${criteria.length} criteria passed`
          : `${start}criteria without a passing test: ${listed(failedCriteria)}`,
    },
    stories_done_ratio: {
      value: ratio(stories.length - open.length, stories.length),
      source: 'tool',
      by: tool,
      detail: `${stories.length - open.length}/${stories.length} stories have passing acceptance tests`,
    },
    open_stories: {
      value: open.length,
      source: 'tool',
      by: tool,
      detail: open.length === 0 ? 'none' : `${start}${listed(open.map(why))}`,
    },
  };
}

/** The budgets the phase holds the release to (targets from the PerfBudgets artifact, not measurements). */
const BudgetsShape = z.object({
  budgets: z.array(z.object({ name: z.string(), target: z.number(), unit: z.string() }).loose()),
});

/**
 * Whether the load test met every budget: a latency budget (ms) against the 97.5th percentile of all
 * responses (autocannon reports no 95th: p97.5 is the stricter figure it has), an error-rate budget (%)
 * against the share of requests without a 2xx. A budget no tool measures cannot be met: it fails.
 */
export function perfMetrics(
  report: LoadTestReport,
  tool: string,
  budgets: unknown,
): Record<string, MeasuredValue> {
  const parsed = BudgetsShape.safeParse(budgets);
  const notes: string[] = [];
  let met = report.overall.requests > 0 && report.startError === undefined;
  if (report.startError) notes.push(`the app did not start: ${firstLine(report.startError)}`);
  else if (report.overall.requests === 0) notes.push('no request got a response');
  if (!parsed.success || parsed.data.budgets.length === 0) {
    met = false;
    notes.push('no performance budgets to hold the measurements against');
  }
  for (const b of parsed.success ? parsed.data.budgets : []) {
    const name = b.name.toLowerCase();
    const measured =
      b.unit === 'ms' && /latency/.test(name)
        ? { value: report.overall.latencyMs.p97_5, label: 'p97.5 latency' }
        : b.unit === '%' && /error/.test(name)
          ? { value: Math.round(report.overall.errorRate * 100_000) / 1_000, label: 'error rate' }
          : undefined;
    if (!measured) {
      met = false;
      notes.push(`${b.name}: no tool measures it`);
      continue;
    }
    const ok = measured.value <= b.target;
    if (!ok) met = false;
    notes.push(
      `${b.name}: ${measured.label} ${measured.value}${b.unit} ${ok ? '≤' : '>'} ${b.target}${b.unit}`,
    );
  }
  const o = report.overall;
  notes.push(`${o.requests} requests at ${o.throughput} req/s over ${report.paths.length} paths`);
  return { perf_budget_met: { value: met, source: 'tool', by: tool, detail: notes.join('; ') } };
}

/**
 * Every metric the given tool reports support. The latest report of each type wins (the caller passes
 * one gate attempt's reports). `stories` are the PRD's user stories, `budgets` the phase's
 * `PerfBudgets` (targets), when the phase has them.
 */
export function measuredMetrics(
  reports: readonly ToolArtifact[],
  stories: unknown,
  budgets?: unknown,
): Record<string, MeasuredValue> {
  const out: Record<string, MeasuredValue> = {};
  const parsedStories = StoriesShape.safeParse(stories);
  for (const a of reports) {
    if (!isToolReport(a)) continue;
    const tool = String(a.provenance['tool']);
    if (a.type === 'TestReport') {
      const r = TestReport.safeParse(a.content);
      if (r.success) Object.assign(out, testMetrics(r.data, tool));
    } else if (a.type === 'MeasuredCoverage') {
      const r = MeasuredCoverage.safeParse(a.content);
      if (r.success) Object.assign(out, coverageMetrics(r.data, tool));
    } else if (a.type === 'LoadTestReport') {
      const r = LoadTestReport.safeParse(a.content);
      if (r.success) Object.assign(out, perfMetrics(r.data, tool, budgets));
    } else if (a.type === 'AcceptanceRun') {
      const r = AcceptanceRun.safeParse(a.content);
      if (r.success && parsedStories.success)
        Object.assign(out, acceptanceMetrics(r.data, tool, parsedStories.data.stories));
    } else if (a.type === 'SecretScan') {
      const r = SecretScan.safeParse(a.content);
      if (r.success) Object.assign(out, secretMetrics(r.data, tool));
    } else if (a.type === 'StaticAnalysis') {
      const r = StaticAnalysis.safeParse(a.content);
      if (r.success) Object.assign(out, staticAnalysisMetrics(r.data, tool));
    } else if (a.type === 'DependencyAudit') {
      const r = DependencyAudit.safeParse(a.content);
      if (r.success) Object.assign(out, auditMetrics(r.data, tool));
    } else if (a.type === 'Sbom') {
      const r = Sbom.safeParse(a.content);
      if (r.success) Object.assign(out, sbomMetrics(r.data, tool));
    } else if (a.type === 'AccessibilityScan') {
      const r = AccessibilityScan.safeParse(a.content);
      if (r.success) Object.assign(out, accessibilityMetrics(r.data, tool));
    }
  }
  return out;
}

/** The metrics each measure tool supplies: what stays unmeasured when the tool produced no report. */
export const METRICS_BY_TOOL: Readonly<Record<string, readonly string[]>> = {
  'test-runner': ['test_pass_rate', 'tests_failed', 'parse_errors', 'test_coverage'],
  'acceptance-runner': ['acceptance_pass_ratio', 'stories_done_ratio', 'open_stories'],
  'load-test': ['perf_budget_met'],
  'secret-scan': ['secrets'],
  'sast-scan': ['high_sast'],
  'dependency-audit': ['critical_cves', 'high_cves'],
  sbom: ['sbom'],
  'a11y-check': ['a11y_violations_serious', 'wcag_level_aa', 'pages_failed'],
};

const ToolFailureShape = z.object({ toolId: z.string(), tool: z.string(), error: z.string() });

/**
 * Why measured metrics are missing, for the gate's reasons: a measure tool that produced no report
 * (a `ToolFailure` of the measure stage), or an audit that could not run. Fail closed, but say why.
 */
export function unmeasuredReasons(artifacts: readonly ToolArtifact[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of artifacts) {
    if (a.type === 'ToolFailure') {
      const f = ToolFailureShape.safeParse(a.content);
      if (!f.success) continue;
      for (const metric of METRICS_BY_TOOL[f.data.toolId] ?? [])
        out[metric] = `${f.data.tool} produced no report: ${firstLine(f.data.error)}`;
    } else if (a.type === 'DependencyAudit' && isToolReport(a)) {
      const r = DependencyAudit.safeParse(a.content);
      if (r.success) Object.assign(out, auditUnmeasured(r.data));
    }
  }
  return out;
}
