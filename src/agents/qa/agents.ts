import { defineFixer } from '../build/fixer.ts';
import { storiesOf, testIdFor, useCasesOf } from '../prd/derive.ts';
import { NFRs, UxFlows } from '../prd/schemas.ts';
import { readArtifact } from '../shared/artifacts.ts';
import { defineAgent } from '../shared/define.ts';
import { profileIdea } from '../shared/profile.ts';
import { E2eSuite, PerfBudgets, TestPlan } from './schemas.ts';

const UPSTREAM = ['PRD', 'UserStories', 'RTM', 'NFRs', 'UxFlows', 'ApiSpec', 'BuildPlan', 'RefinedStories'];

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
    return {
      flows: flows.map((f, i) => ({
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

/**
 * The performance budgets the release is held to, from the NFRs. Targets only: a latency is a
 * measurement, and a measurement comes from a load-test tool run against the started app, never from
 * an agent.
 */
export const perfAnalyst = defineAgent({
  id: 'qa.perf-analyst',
  purpose: 'Performance budgets (latency, page load, error rate) from the NFRs.',
  reads: [...UPSTREAM, 'TestPlan'],
  produces: 'PerfBudgets',
  tools: ['load-test'],
  role: 'You are a performance engineer. You turn the NFRs into budgets a load test can check.',
  task: 'Set the performance budgets of the idea (latency, page load, error rate).',
  rules: ['Every budget is lower-is-better, with its unit.'],
  outputSchema: PerfBudgets,
  offline(input) {
    const p = profileIdea(input.idea);
    const target = latencyTarget(readArtifact(input, 'NFRs', NFRs)?.nfrs ?? []);
    return {
      budgets: [
        {
          name: `API latency under load (${p.features[0]?.name.toLowerCase() ?? 'the core flow'})`,
          target,
          unit: 'ms',
        },
        {
          name: 'Error rate under load',
          target: 1,
          unit: '%',
        },
      ],
    };
  },
});

/** Repairs the code from the test run of the previous gate attempt (see build/fixer.ts). */
export const fixer = defineFixer('qa', 'TestReport');

export const qaAgents = [testPlanner, e2eDesigner, perfAnalyst, fixer] as const;
