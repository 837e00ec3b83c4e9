import { describe, expect, it } from 'vitest';
import type { AcceptanceRun, MeasuredCoverage, TestReport } from '../core/schemas/tool-reports.ts';
import { acceptanceMetrics, isToolReport, measuredMetrics, type ToolArtifact } from './measured-metrics.ts';

const TOOL = 'test-runner@24.0.0';
const byTool = (tool = TOOL) => ({ source: 'tool', tool });

function testReport(over: Partial<TestReport> = {}): TestReport {
  return {
    tool: TOOL,
    command: 'node --test --experimental-test-coverage',
    exitCode: 1,
    passed: 3,
    failed: 1,
    skipped: 0,
    todo: 1,
    total: 5,
    durationMs: 120,
    cases: [
      { name: 'UT-lists-create returns 201', status: 'passed', durationMs: 3 },
      { name: 'UT-lists-list returns 200', status: 'passed', durationMs: 2 },
      { name: 'UT-app-healthz answers 200', status: 'passed', durationMs: 1 },
      {
        name: 'UT-items-create returns 201',
        status: 'failed',
        durationMs: 4,
        message: '\nExpected values to be strictly equal:\n500 !== 201',
      },
      { name: 'UT-items-delete returns 204', status: 'todo', durationMs: 0 },
    ],
    failures: [
      {
        name: 'UT-items-create returns 201',
        message: '\nExpected values to be strictly equal:\n500 !== 201',
        file: 'test/items.test.js',
      },
    ],
    parseErrors: [],
    ...over,
  };
}

function coverage(): MeasuredCoverage {
  return {
    tool: TOOL,
    lines: 0.8123,
    branches: 0.705,
    functions: 0.9,
    files: [{ path: 'src/app.js', lines: 0.8123, branches: 0.705, functions: 0.9 }],
  };
}

const story = (id: string, ...criteria: string[]) => ({
  id,
  title: `Story ${id}`,
  acceptanceCriteria: criteria.map((c) => ({ id: c })),
});

/** US-1 has a failing criterion, US-2 passes, US-3 has no acceptance test at all. */
const STORIES = [story('US-1', 'AC-1.1', 'AC-1.2'), story('US-2', 'AC-2.1'), story('US-3', 'AC-3.1')];

function acceptanceRun(over: Partial<AcceptanceRun> = {}): AcceptanceRun {
  const cases: AcceptanceRun['cases'] = [
    {
      name: 'TC-1.1 [US-1] Given a lead, when they create a list, then it is saved',
      status: 'passed',
      durationMs: 5,
    },
    {
      name: 'TC-1.2 [US-1] Given a lead, when the title is empty, then it is refused',
      status: 'failed',
      durationMs: 5,
      message: 'expected 400, got 201\n    at test/acceptance/lists.test.js:12:3',
    },
    {
      name: 'TC-2.1 [US-2] Given a member, when they open a list, then they see it',
      status: 'passed',
      durationMs: 4,
    },
    // Not an acceptance test name: not counted for any story.
    { name: 'UT-app-healthz answers 200', status: 'passed', durationMs: 1 },
  ];
  return {
    ...testReport({ passed: 3, failed: 1, todo: 0, total: 4, cases, failures: [] }),
    tool: 'acceptance-runner@1.0.0',
    baseUrl: 'http://127.0.0.1:41234',
    ...over,
  };
}

describe('test metrics from a TestReport', () => {
  it('takes the pass rate over every reported test, todo included, and names the tests that did not pass', () => {
    const metrics = measuredMetrics(
      [{ type: 'TestReport', content: testReport(), provenance: byTool() }],
      undefined,
    );
    expect(metrics['test_pass_rate']).toMatchObject({ value: 0.6, source: 'tool', by: TOOL });
    const detail = metrics['test_pass_rate']?.detail ?? '';
    expect(detail).toContain('3/5 passed');
    expect(detail).toContain('UT-items-create returns 201: Expected values to be strictly equal:');
    expect(detail).toContain('UT-items-delete returns 204 (todo)');
    expect(detail).not.toContain('UT-lists-create');
    expect(metrics['tests_failed']).toMatchObject({
      value: 1,
      detail: 'UT-items-create returns 201: Expected values to be strictly equal:',
    });
    expect(metrics['parse_errors']).toMatchObject({ value: 0, detail: 'every file parsed' });
  });

  it('reports a green run and an empty one', () => {
    const green = testReport({
      passed: 2,
      failed: 0,
      todo: 0,
      total: 2,
      cases: testReport().cases.slice(0, 2),
      failures: [],
    });
    const metrics = measuredMetrics(
      [{ type: 'TestReport', content: green, provenance: byTool() }],
      undefined,
    );
    expect(metrics['test_pass_rate']).toMatchObject({ value: 1, detail: '2/2 tests passed' });
    const empty = testReport({ passed: 0, failed: 0, todo: 0, total: 0, cases: [], failures: [] });
    expect(
      measuredMetrics([{ type: 'TestReport', content: empty, provenance: byTool() }], undefined)[
        'test_pass_rate'
      ],
    ).toMatchObject({ value: 0, detail: 'no tests ran' });
  });

  it('counts the files that did not parse, quoting file:line and the parser', () => {
    const report = testReport({
      parseErrors: [
        { file: 'src/http.js', line: 3, message: "SyntaxError: Unexpected token '('" },
        { file: 'src/store.js', message: 'SyntaxError: Unexpected end of input' },
      ],
    });
    const metrics = measuredMetrics(
      [{ type: 'TestReport', content: report, provenance: byTool() }],
      undefined,
    );
    expect(metrics['parse_errors']).toMatchObject({
      value: 2,
      source: 'tool',
      detail:
        "src/http.js:3: SyntaxError: Unexpected token '('; src/store.js: SyntaxError: Unexpected end of input",
    });
  });

  it('takes line coverage from the coverage report, with branches and functions in the detail', () => {
    const metrics = measuredMetrics(
      [{ type: 'MeasuredCoverage', content: coverage(), provenance: byTool() }],
      undefined,
    );
    expect(metrics).toEqual({
      test_coverage: {
        value: 0.8123,
        source: 'tool',
        by: TOOL,
        detail: 'lines 81.23%, branches 70.50%, functions 90.00%',
      },
    });
  });

  it('lets the latest report of a type win', () => {
    const green = testReport({ passed: 5, failed: 0, todo: 0, failures: [], cases: [] });
    const metrics = measuredMetrics(
      [
        { type: 'TestReport', content: testReport(), provenance: byTool() },
        { type: 'TestReport', content: green, provenance: byTool() },
      ],
      undefined,
    );
    expect(metrics['test_pass_rate']?.value).toBe(1);
  });
});

describe('acceptance metrics from an AcceptanceRun, against the PRD stories', () => {
  it('passes a criterion only on its passing TC test, and a story only when all its tests pass', () => {
    const metrics = acceptanceMetrics(acceptanceRun(), 'acceptance-runner@1.0.0', STORIES);
    // Of 4 criteria, TC-1.1 and TC-2.1 passed; TC-1.2 failed and TC-3.1 never ran.
    expect(metrics['acceptance_pass_ratio']).toMatchObject({ value: 0.5, source: 'tool' });
    expect(metrics['acceptance_pass_ratio']?.detail).toBe('criteria without a passing test: TC-1.2; TC-3.1');
    expect(metrics['stories_done_ratio']).toMatchObject({
      value: 0.3333,
      detail: '1/3 stories have passing acceptance tests',
    });
    expect(metrics['open_stories']?.value).toBe(2);
    expect(metrics['open_stories']?.detail).toBe(
      'US-1: TC-1.2 [US-1] Given a lead, when the title is empty, then it is refused failed (expected 400, got 201); US-3 has no acceptance test',
    );
  });

  it('counts every story as open when the app did not start, and says so', () => {
    const run = acceptanceRun({
      cases: [],
      passed: 0,
      failed: 0,
      total: 0,
      startError: 'Error: listen EADDRINUSE\n    at Server.listen',
    });
    const metrics = acceptanceMetrics(run, 'acceptance-runner@1.0.0', STORIES);
    expect(metrics['acceptance_pass_ratio']?.value).toBe(0);
    expect(metrics['stories_done_ratio']?.value).toBe(0);
    expect(metrics['open_stories']?.value).toBe(3);
    expect(metrics['open_stories']?.detail).toMatch(
      /^the app did not start: Error: listen EADDRINUSE; US-1 has no/,
    );
  });

  it('reports all passed when every story has passing tests', () => {
    const metrics = acceptanceMetrics(acceptanceRun(), 'acceptance-runner@1.0.0', [story('US-2', 'AC-2.1')]);
    expect(Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, v.value]))).toEqual({
      acceptance_pass_ratio: 1,
      stories_done_ratio: 1,
      open_stories: 0,
    });
    expect(metrics['open_stories']?.detail).toBe('none');
  });

  it('are computed by measuredMetrics only when the stories are given', () => {
    const reports: ToolArtifact[] = [
      { type: 'AcceptanceRun', content: acceptanceRun(), provenance: byTool('acceptance-runner@1.0.0') },
    ];
    expect(measuredMetrics(reports, undefined)).toEqual({});
    const metrics = measuredMetrics(reports, { stories: STORIES });
    expect(metrics['open_stories']).toMatchObject({ value: 2, by: 'acceptance-runner@1.0.0' });
  });
});

describe('only tool reports count', () => {
  it('ignores an artifact without provenance source "tool", however well-formed', () => {
    const claims: ToolArtifact[] = [
      {
        type: 'TestReport',
        content: testReport({ failed: 0, passed: 5 }),
        provenance: { source: 'agent', tool: TOOL },
      },
      { type: 'MeasuredCoverage', content: coverage(), provenance: {} },
      { type: 'AcceptanceRun', content: acceptanceRun(), provenance: { agent: 'story-loop.fixer' } },
      // source 'tool' without naming the tool is not a tool report either.
      { type: 'TestReport', content: testReport(), provenance: { source: 'tool' } },
    ];
    expect(claims.filter(isToolReport)).toEqual([]);
    expect(measuredMetrics(claims, { stories: STORIES })).toEqual({});
  });

  it('ignores a tool report whose content does not parse, and types it does not know', () => {
    const metrics = measuredMetrics(
      [
        { type: 'TestReport', content: { passed: 'all' }, provenance: byTool() },
        { type: 'PerfReport', content: { p95: 1 }, provenance: byTool() },
      ],
      undefined,
    );
    expect(metrics).toEqual({});
  });
});

describe('perf_budget_met from the load test', () => {
  const report = (p97_5: number, errorRate: number, requests = 100) => ({
    tool: 'load-test@9.0.0',
    baseUrl: 'http://127.0.0.1:1',
    durationSeconds: 2,
    connections: 10,
    paths: [],
    overall: {
      requests,
      throughput: 50,
      latencyMs: { p50: 1, p90: 2, p97_5, p99: p97_5 + 1, max: p97_5 + 5, mean: 1 },
      errors: 0,
      timeouts: 0,
      non2xx: 0,
      errorRate,
      statusCodes: { '200': requests },
      durationSeconds: 2,
    },
  });
  const budgets = {
    budgets: [
      { name: 'API latency under load', target: 300, unit: 'ms' },
      { name: 'Error rate under load', target: 1, unit: '%' },
    ],
  };
  const tool = (content: unknown) => [
    { type: 'LoadTestReport', content, provenance: { source: 'tool', tool: 'load-test@9.0.0' } },
  ];

  it('is met when p97.5 latency and the error rate are within their targets', () => {
    const m = measuredMetrics(tool(report(12, 0)), undefined, budgets)['perf_budget_met'];
    expect(m).toMatchObject({ value: true, source: 'tool', by: 'load-test@9.0.0' });
    expect(m?.detail).toMatch(/API latency under load: p97\.5 latency 12ms ≤ 300ms/);
  });

  it('fails on a slow p97.5, on errors, on a budget no tool measures, and without budgets', () => {
    expect(measuredMetrics(tool(report(450, 0)), undefined, budgets)['perf_budget_met']?.value).toBe(false);
    expect(measuredMetrics(tool(report(12, 0.05)), undefined, budgets)['perf_budget_met']?.detail).toMatch(
      /error rate 5% > 1%/,
    );
    const lcp = {
      budgets: [...budgets.budgets, { name: 'Largest contentful paint', target: 2500, unit: 'ms' }],
    };
    expect(measuredMetrics(tool(report(12, 0)), undefined, lcp)['perf_budget_met']).toMatchObject({
      value: false,
      detail: expect.stringMatching(/Largest contentful paint: no tool measures it/),
    });
    expect(measuredMetrics(tool(report(12, 0)), undefined, undefined)['perf_budget_met']?.value).toBe(false);
    expect(measuredMetrics(tool(report(12, 0, 0)), undefined, budgets)['perf_budget_met']?.value).toBe(false);
  });
});
