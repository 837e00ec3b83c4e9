import { describe, expect, it } from 'vitest';
import { stories, story, view } from '../testing/guard-fixtures.ts';
import { storyLoopGuard } from './engineering.ts';
import { NO_EVIDENCE_COUNT } from './guard.ts';
import { aestheticGuard, betaGuard, qaGuard, releaseGuard } from './quality.ts';

// The story-loop's acceptance metrics and qa's test pass rate, coverage and parse errors are measured
// by tools, not guards: src/orchestrator/measured-metrics.test.ts covers them.
describe('story-loop guard', () => {
  const refined = (userStoryId: string, status: string) => ({
    id: `DS-${userStoryId}`,
    userStoryId,
    status,
    definitionOfDone: ['d'],
    notes: 'n',
  });

  it('reports only the refinement ratio, merging shards and warning about never-refined stories', () => {
    const report = storyLoopGuard.evaluate([
      stories(story('US-1', 2), story('US-2', 1), story('US-3', 1), story('US-4', 0)),
      view('RefinedStories', {
        iteration: 1,
        stories: [refined('US-1', 'done'), refined('US-2', 'blocked')],
      }),
      view('RefinedStories', { iteration: 1, stories: [refined('US-3', 'todo')] }),
    ]);
    // A story counts as refined whatever its status: whether it is done is for its acceptance tests.
    expect(report.metrics).toEqual({ stories_refined_ratio: 0.75 });
    expect(report.findings).toEqual([{ severity: 'warning', message: 'story US-4 was never refined' }]);
  });

  it('ignores refinements of stories the PRD does not have', () => {
    const report = storyLoopGuard.evaluate([
      stories(story('US-1'), story('US-2')),
      view('RefinedStories', { iteration: 1, stories: [refined('US-1', 'done'), refined('US-9', 'done')] }),
    ]);
    expect(report.metrics['stories_refined_ratio']).toBe(0.5);
  });

  it('fails closed without stories or without refinement', () => {
    const none = storyLoopGuard.evaluate([stories(story('US-1'))]);
    expect(none.metrics['stories_refined_ratio']).toBe(0);
    expect(
      none.findings
        .filter((f) => f.severity === 'error')
        .map((f) => f.message)
        .join(),
    ).toContain('RefinedStories');
    const empty = storyLoopGuard.evaluate([]);
    expect(empty.metrics['stories_refined_ratio']).toBe(0);
    expect(empty.findings.filter((f) => f.severity === 'error')).toHaveLength(2);
  });
});

describe('qa guard', () => {
  const flow = (id: string) => ({
    id,
    name: id,
    persona: 'P1',
    storyIds: [],
    steps: [{ screen: 's', action: 'a', result: 'r' }],
  });
  const e2e = (...uxFlowIds: string[]) =>
    view('E2eSuite', {
      flows: uxFlowIds.map((uxFlowId, i) => ({
        id: `E${i}`,
        uxFlowId,
        name: 'n',
        storyIds: [],
        steps: ['s'],
      })),
    });

  it('reports only e2e coverage, against the UX flows', () => {
    const report = qaGuard.evaluate([
      view('UxFlows', { flows: [flow('FLOW-1'), flow('FLOW-2'), flow('FLOW-3')] }),
      e2e('FLOW-2', 'FLOW-9'),
    ]);
    expect(report.metrics).toEqual({ e2e_flows_covered: 0.3333 });
    expect(report.findings.map((f) => f.message)).toEqual([
      'UX flow FLOW-1 has no end-to-end test',
      'UX flow FLOW-3 has no end-to-end test',
    ]);
  });

  it('claims no test figure from agent output: a test report an agent wrote is not read', () => {
    const report = qaGuard.evaluate([
      view('UxFlows', { flows: [flow('FLOW-1')] }),
      e2e('FLOW-1'),
      view('TestReport', { passed: 10, failed: 0, total: 10 }),
      view('MeasuredCoverage', { lines: 1, branches: 1, functions: 1 }),
    ]);
    expect(report.metrics).toEqual({ e2e_flows_covered: 1 });
  });

  it('fails closed without UX flows or without an e2e suite', () => {
    expect(qaGuard.evaluate([e2e('FLOW-1')]).metrics['e2e_flows_covered']).toBe(0);
    const noSuite = qaGuard.evaluate([view('UxFlows', { flows: [flow('FLOW-1')] })]);
    expect(noSuite.metrics['e2e_flows_covered']).toBe(0);
    expect(noSuite.findings.some((f) => f.severity === 'error' && f.message.includes('E2eSuite'))).toBe(true);
  });
});

describe('aesthetic guard', () => {
  it('measures brand consistency from the checks; accessibility is no guard metric', () => {
    const report = aestheticGuard.evaluate([
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
    // axe-core in Chromium measures accessibility (accessibility-metrics.ts); no agent reports it.
    expect(report.metrics).toEqual({ brand_consistency: 0.5, high_ui_issues: NO_EVIDENCE_COUNT });
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
