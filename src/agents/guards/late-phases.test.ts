import { describe, expect, it } from 'vitest';
import { stories, story, view } from '../testing/guard-fixtures.ts';
import { storyLoopGuard } from './engineering.ts';
import { NO_EVIDENCE_COUNT } from './guard.ts';
import { aestheticGuard, betaGuard, qaGuard, releaseGuard } from './quality.ts';

describe('story-loop guard', () => {
  it('merges shards and counts never-refined stories and never-run criteria as not done', () => {
    const refined = (userStoryId: string, status: string) => ({
      id: `DS-${userStoryId}`,
      userStoryId,
      status,
      definitionOfDone: ['d'],
      notes: 'n',
    });
    const result = (criterionId: string, passed: boolean) => ({
      storyId: 's',
      criterionId,
      testId: 't',
      passed,
      evidence: 'e',
    });
    const report = storyLoopGuard.evaluate([
      stories(story('US-1', 2), story('US-2', 1), story('US-3', 1), story('US-4', 0)),
      view('RefinedStories', {
        iteration: 1,
        stories: [refined('US-1', 'done'), refined('US-2', 'blocked')],
      }),
      view('RefinedStories', { iteration: 1, stories: [refined('US-3', 'done')] }),
      view('AcceptanceReport', { results: [result('AC-US-1.0', true), result('AC-US-1.1', false)] }),
      view('AcceptanceReport', { results: [result('AC-US-2.0', true)] }),
    ]);
    // US-2 is blocked (closed, not done); US-4 was never refined (open).
    expect(report.metrics).toEqual({ stories_done_ratio: 0.5, acceptance_pass_ratio: 0.5, open_stories: 1 });
  });

  it('counts stories to do, in progress or never refined as open, and fails closed without refinement', () => {
    const refined = (userStoryId: string, status: string) => ({
      id: `DS-${userStoryId}`,
      userStoryId,
      status,
      definitionOfDone: ['d'],
      notes: 'n',
    });
    const upstream = stories(story('US-1'), story('US-2'), story('US-3'), story('US-4'));
    const report = storyLoopGuard.evaluate([
      upstream,
      view('RefinedStories', {
        iteration: 1,
        stories: [refined('US-1', 'todo'), refined('US-2', 'in-progress'), refined('US-3', 'done')],
      }),
      view('RefinedStories', { iteration: 2, stories: [refined('US-1', 'done')] }),
    ]);
    expect(report.metrics['open_stories']).toBe(2);
    expect(storyLoopGuard.evaluate([]).metrics['open_stories']).toBe(1);
  });
});

describe('qa guard', () => {
  it('checks budgets itself and e2e coverage against the UX flows', () => {
    const flow = (id: string) => ({
      id,
      name: id,
      persona: 'P1',
      storyIds: [],
      steps: [{ screen: 's', action: 'a', result: 'r' }],
    });
    const report = qaGuard.evaluate([
      view('UxFlows', { flows: [flow('FLOW-1'), flow('FLOW-2'), flow('FLOW-3')] }),
      view('E2eSuite', { flows: [{ id: 'E1', uxFlowId: 'FLOW-2', name: 'n', storyIds: [], steps: ['s'] }] }),
      view('CoverageReport', {
        tool: 't',
        lines: 0.81,
        branches: 0.7,
        functions: 0.8,
        modules: [],
        requirementsWithTests: 1,
      }),
      view('PerfReport', { tool: 't', budgets: [{ name: 'p95', target: 300, measured: 301, unit: 'ms' }] }),
    ]);
    expect(report.metrics).toEqual({
      test_coverage: 0.81,
      e2e_flows_covered: 0.3333,
      perf_budget_met: false,
      test_pass_rate: 0,
    });
  });

  it('takes the test pass rate over the acceptance runs that executed, a later result winning', () => {
    const result = (criterionId: string, passed: boolean) => ({
      storyId: 's',
      criterionId,
      testId: `TC-${criterionId}`,
      passed,
      evidence: 'e',
    });
    const report = qaGuard.evaluate([
      stories(story('US-1', 3)),
      view('AcceptanceReport', { results: [result('AC-1', true), result('AC-2', false)] }),
      view('AcceptanceReport', { results: [result('AC-2', true), result('AC-3', false)] }),
    ]);
    // AC-2 passed on the re-run; AC-3 failed: 2 of 3.
    expect(report.metrics['test_pass_rate']).toBe(0.6667);
  });
});

describe('aesthetic guard', () => {
  it('derives AA conformance from open A/AA findings, not from a claim', () => {
    const finding = (id: string, level: string, impact: string, status: string) => ({
      id,
      criterion: '1.4.3',
      level,
      impact,
      screen: 's',
      description: 'd',
      status,
    });
    const report = aestheticGuard.evaluate([
      view('AccessibilityReport', {
        standard: 'WCAG 2.2',
        targetLevel: 'AA',
        screens: ['s'],
        findings: [finding('1', 'AAA', 'critical', 'open'), finding('2', 'AA', 'serious', 'fixed')],
      }),
      view('BrandReport', {
        palette: [{ name: 'p', hex: '#123456' }],
        typography: 't',
        voice: 'v',
        checks: [
          { name: 'a', passed: true, note: 'n' },
          { name: 'b', passed: false, note: 'n' },
        ],
      }),
    ]);
    expect(report.metrics).toEqual({
      a11y_violations_critical: 1,
      wcag_level_aa: true,
      brand_consistency: 0.5,
      high_ui_issues: NO_EVIDENCE_COUNT,
    });
  });

  it('counts high-severity UI issues over every screen', () => {
    const issue = (severity: string) => ({ severity, description: 'd', fix: 'f' });
    const report = aestheticGuard.evaluate([
      view('UiAudit', {
        screens: [
          { name: 'a', score: 70, issues: [issue('high'), issue('low')] },
          { name: 'b', score: 60, issues: [issue('high'), issue('medium')] },
        ],
        overallScore: 65,
      }),
    ]);
    expect(report.metrics['high_ui_issues']).toBe(2);
  });
});

describe('release guard', () => {
  const notes = (over: Record<string, unknown> = {}) =>
    view(
      'ReleaseNotes',
      {
        version: '1.0.0',
        title: 't',
        summary: 's',
        highlights: ['h'],
        features: [{ title: 'f', storyIds: ['US-1'] }],
        fixes: [],
        knownIssues: [],
        upgradeNotes: [],
        ...over,
      },
      'release',
    );

  it('requires every shipped must-have story in the notes', () => {
    const upstream = [stories(story('US-1'), story('US-2'), story('US-3', 1, 'should'))];
    expect(releaseGuard.evaluate([...upstream, notes()]).metrics['release_notes_complete']).toBe(false);
    const refined = view('RefinedStories', {
      iteration: 1,
      stories: [
        { id: 'D1', userStoryId: 'US-2', status: 'blocked', definitionOfDone: ['d'], notes: 'n' },
        { id: 'D2', userStoryId: 'US-1', status: 'done', definitionOfDone: ['d'], notes: 'n' },
      ],
    });
    expect(releaseGuard.evaluate([...upstream, refined, notes()]).metrics['release_notes_complete']).toBe(
      true,
    );
    expect(releaseGuard.evaluate([notes({ highlights: [] })]).metrics['release_notes_complete']).toBe(false);
  });

  it('counts only dossier sections that point at real artifacts when upstream is given', () => {
    const prd = view('PRD', {}, 'prd');
    const dossier = view(
      'ReleaseDossier',
      {
        version: '1.0.0',
        missing: [],
        sections: [
          { name: 'product', artifactTypes: ['PRD'], artifactIds: [prd.id] },
          { name: 'tests', artifactTypes: ['TestPlan'], artifactIds: ['ghost'] },
        ],
      },
      'release',
    );
    expect(releaseGuard.evaluate([prd, dossier]).metrics['dossier_sections']).toBe(1);
    expect(releaseGuard.evaluate([dossier]).metrics['dossier_sections']).toBe(2);
  });

  it('needs a deploy plan with rollback triggers and steps', () => {
    const plan = (rollback: { triggers: string[]; steps: string[] }) =>
      view('DeployPlan', {
        strategy: 'canary',
        environments: ['prod'],
        steps: ['s'],
        canary: { stages: [{ percent: 10, minutes: 5 }], abortOn: ['5xx > 1%'] },
        rollback,
        owner: 'sre',
      });
    const ok = plan({ triggers: ['error rate > 1%'], steps: ['route traffic to the previous image'] });
    expect(releaseGuard.evaluate([ok]).metrics['rollback_plan']).toBe(true);
    const blank = plan({ triggers: ['error rate > 1%'], steps: ['  '] });
    expect(releaseGuard.evaluate([blank]).metrics['rollback_plan']).toBe(false);
    expect(releaseGuard.evaluate([]).metrics['rollback_plan']).toBe(false);
  });
});

describe('beta guard', () => {
  it('sums cohorts and counts distinct events', () => {
    const event = (name: string) => ({ name, trigger: 't', properties: [], storyIds: [] });
    const report = betaGuard.evaluate([
      view('BetaPlan', {
        cohorts: [
          { name: 'a', personaId: 'P1', size: 30, criteria: 'c' },
          { name: 'b', personaId: 'P2', size: 25, criteria: 'c' },
        ],
        durationWeeks: 6,
        exitCriteria: ['e'],
      }),
      view('TelemetryPlan', { events: [event('a'), event('b'), event('a')], privacy: 'p' }),
    ]);
    expect(report.metrics).toEqual({ cohort_size: 55, telemetry_events: 2, feedback_channels_count: 0 });
  });

  it('counts distinct feedback channels', () => {
    const report = betaGuard.evaluate([
      view('FeedbackPlan', {
        channels: ['In-app widget', 'in-app  widget', 'Interviews'],
        survey: [{ question: 'q', scale: 'nps' }],
        themes: [],
        successCriteria: ['c'],
      }),
    ]);
    expect(report.metrics['feedback_channels_count']).toBe(2);
  });
});
