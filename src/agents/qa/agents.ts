import { BuildPlan } from '../build/schemas.ts';
import { storiesOf, testIdFor, useCasesOf } from '../prd/derive.ts';
import { NFRs, RTM, UxFlows } from '../prd/schemas.ts';
import { readArtifact } from '../shared/artifacts.ts';
import { metricMode } from '../shared/defects.ts';
import { defineAgent } from '../shared/define.ts';
import { profileIdea } from '../shared/profile.ts';
import { seeded } from '../shared/seed.ts';
import { CoverageReport, E2eSuite, PerfReport, TestPlan } from './schemas.ts';

const UPSTREAM = [
  'PRD',
  'UserStories',
  'RTM',
  'NFRs',
  'UxFlows',
  'ApiSpec',
  'BuildPlan',
  'RefinedStories',
  'AcceptanceReport',
];

export const testPlanner = defineAgent({
  id: 'qa.test-planner',
  purpose:
    'Test plan: a test case per acceptance criterion plus performance, accessibility and security cases.',
  reads: UPSTREAM,
  produces: 'TestPlan',
  role: 'You are a test architect. You derive test cases from acceptance criteria and NFRs, at the cheapest level that proves each one.',
  task: 'Write the test plan for the idea; test ids match the RTM (TC-<criterion>).',
  rules: [
    'Every acceptance criterion has exactly one test case with id TC-<criterion>.',
    'Add one case per measurable NFR.',
  ],
  outputSchema: TestPlan,
  offline(input) {
    const p = profileIdea(input.idea);
    const stories = storiesOf(input, p);
    const cases: TestPlan['cases'] = stories.flatMap((s) =>
      s.acceptanceCriteria.map((c, i) => ({
        id: testIdFor(c.id),
        title: `Given ${c.given}, when ${c.when}, then ${c.expected}`,
        level: i === 0 ? ('e2e' as const) : ('integration' as const),
        storyIds: [s.id],
        requirementIds: s.requirementIds,
      })),
    );
    const nfrs = readArtifact(input, 'NFRs', NFRs)?.nfrs ?? [];
    for (const nfr of nfrs.filter((n) => ['performance', 'accessibility', 'security'].includes(n.category))) {
      const level = nfr.category as 'performance' | 'accessibility' | 'security';
      cases.push({
        id: `TC-${nfr.id}`,
        title: `${nfr.statement} Target: ${nfr.target}.`,
        level,
        storyIds: [],
        requirementIds: [nfr.id],
      });
    }
    return { cases, environments: ['CI (ephemeral PostgreSQL)', `Preview deployment of ${p.title}`] };
  },
});

export const coverageAnalyst = defineAgent({
  id: 'qa.coverage-analyst',
  purpose: 'Measure test coverage per module and of requirements by tests.',
  reads: [...UPSTREAM, 'TestPlan'],
  produces: 'CoverageReport',
  tools: ['coverage'],
  role: 'You are a quality engineer reading coverage reports. You report what was measured per module and never round up.',
  task: 'Report line, branch and function coverage and the share of requirements with tests.',
  rules: ['Shares between 0 and 1.', 'One entry per build-plan module.'],
  outputSchema: CoverageReport,
  offline(input) {
    const p = profileIdea(input.idea);
    const rng = seeded(p.fingerprint, 'coverage');
    const mode = metricMode(input, 'test_coverage');
    const lines = mode.broken
      ? 0.55
      : mode.fixing
        ? rng.float('lines', 0.9, 0.95)
        : rng.float('lines', 0.82, 0.9);
    const modules = readArtifact(input, 'BuildPlan', BuildPlan)?.modules ?? [];
    const rows = readArtifact(input, 'RTM', RTM)?.rows ?? [];
    const traced = rows.filter((r) => r.testIds.length > 0).length;
    return {
      tool: 'vitest --coverage (v8)',
      lines,
      branches: Math.round((lines - 0.08) * 100) / 100,
      functions: Math.round(Math.min(1, lines + 0.04) * 100) / 100,
      modules: modules.map((m) => ({
        moduleId: m.id,
        lines: Math.min(1, Math.max(0, rng.float(m.id, lines - 0.05, lines + 0.05))),
      })),
      requirementsWithTests: rows.length === 0 ? 0 : Math.round((traced / rows.length) * 10_000) / 10_000,
    };
  },
});

export const e2eDesigner = defineAgent({
  id: 'qa.e2e-designer',
  purpose: 'End-to-end suite: one browser test per UX flow, step by step.',
  reads: [...UPSTREAM, 'TestPlan'],
  produces: 'E2eSuite',
  tools: ['e2e-runner'],
  role: 'You are an end-to-end test engineer. Each UX flow becomes one browser test that a headless Chromium can run.',
  task: 'Design the end-to-end tests for every UX flow of the idea.',
  rules: ['`uxFlowId` names the UX flow each test covers; cover every flow.'],
  outputSchema: E2eSuite,
  offline(input) {
    const p = profileIdea(input.idea);
    const flows =
      readArtifact(input, 'UxFlows', UxFlows)?.flows ??
      useCasesOf(input, p).map((uc, i) => ({
        id: `FLOW-${i + 1}`,
        name: uc.title,
        persona: uc.actor,
        storyIds: [],
        steps: [],
      }));
    const chosen = metricMode(input, 'e2e_flows_covered').broken
      ? flows.slice(0, Math.ceil(flows.length / 2))
      : flows;
    return {
      flows: chosen.map((f, i) => ({
        id: `E2E-${i + 1}`,
        uxFlowId: f.id,
        name: `${f.name} (${f.persona})`,
        storyIds: f.storyIds,
        steps: [
          `Sign in as a seeded ${f.persona} account`,
          ...f.steps.map((s) => `On "${s.screen}": ${s.action}; expect ${s.result.toLowerCase()}`),
          'Assert no console errors and no failed requests',
        ],
      })),
    };
  },
});

function latencyTarget(nfrs: NFRs['nfrs']): number {
  const text = nfrs.find((n) => n.category === 'performance')?.target ?? '';
  const ms = /(\d+)\s*ms/.exec(text)?.[1];
  return ms === undefined ? 300 : Number(ms);
}

export const perfAnalyst = defineAgent({
  id: 'qa.perf-analyst',
  purpose: 'Performance results against the budgets set by the NFRs.',
  reads: [...UPSTREAM, 'TestPlan'],
  produces: 'PerfReport',
  tools: ['load-test'],
  role: 'You are a performance engineer. You load-test the preview deployment and compare each measurement with its budget.',
  task: 'Measure the performance budgets of the idea (latency, page load, error rate).',
  rules: ['Every budget is lower-is-better: report the target and the measured value in the same unit.'],
  outputSchema: PerfReport,
  offline(input) {
    const p = profileIdea(input.idea);
    const rng = seeded(p.fingerprint, 'perf');
    const target = latencyTarget(readArtifact(input, 'NFRs', NFRs)?.nfrs ?? []);
    const broken = metricMode(input, 'perf_budget_met').broken;
    return {
      tool: 'k6 + Lighthouse CI',
      budgets: [
        {
          name: `p95 latency of ${p.features[0]?.name.toLowerCase() ?? 'the core flow'}`,
          target,
          measured: broken
            ? Math.round(target * 1.6)
            : rng.int('p95', Math.round(target * 0.4), Math.round(target * 0.8)),
          unit: 'ms',
        },
        {
          name: 'Largest contentful paint, mobile',
          target: 2500,
          measured: rng.int('lcp', 1200, 2100),
          unit: 'ms',
        },
        {
          name: 'Error rate at 50 requests/s',
          target: 1,
          measured: rng.float('errors', 0.05, 0.4),
          unit: '%',
        },
      ],
    };
  },
});

export const qaAgents = [testPlanner, coverageAnalyst, e2eDesigner, perfAnalyst] as const;
