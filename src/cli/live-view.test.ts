import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../storage/event-store.ts';
import {
  applyEvent,
  estimateRemainingMs,
  formatDuration,
  formatTokens,
  initialLiveState,
  type LiveState,
  progressBar,
  renderLiveView,
} from './live-view.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
let seq = 0;
function ev(type: string, phase: string | null, payload: Record<string, unknown>, atMs: number): StoredEvent {
  seq += 1;
  return {
    seq,
    id: `e${seq}`,
    type,
    runId: 'run-1',
    phase,
    taskId: null,
    payload,
    createdAt: new Date(atMs),
  };
}

const LEVELS = [['intake'], ['ideation'], ['security', 'story-loop'], ['release']];
const noHistory = { medianMs: {}, samples: 0 };

function fold(events: StoredEvent[]): LiveState {
  return events.reduce(applyEvent, initialLiveState());
}

const started = [
  ev('run.created', null, { title: 'A shared todo app' }, T0),
  ev('run.started', null, { planHash: 'x', levels: LEVELS, takeover: false }, T0),
];

describe('live view state', () => {
  it('lists every phase in pipeline order before any starts, all pending', () => {
    const state = fold(started);
    expect(state.phases.map((p) => [p.phase, p.status])).toEqual([
      ['intake', 'pending'],
      ['ideation', 'pending'],
      ['security', 'pending'],
      ['story-loop', 'pending'],
      ['release', 'pending'],
    ]);
    expect(state.title).toBe('A shared todo app');
  });

  it('follows a phase through progress, agent usage, a failed gate and its pass', () => {
    const state = fold([
      ...started,
      ev(
        'phase.started',
        'intake',
        { attempt: 1, agents: ['a', 'b', 'c'], budgets: {}, timeboxMs: 0 },
        T0 + 10,
      ),
      ev(
        'phase.progress',
        'intake',
        { attempt: 1, stage: 'dispatch', pct: 33, tasksDone: 1, tasksTotal: 3 },
        T0 + 20,
      ),
      ev('phase.agent.complete', 'intake', { attempt: 1, usage: { tokens: 1000, usd: 0.01 } }, T0 + 30),
      ev('phase.agent.complete', 'intake', { attempt: 1, usage: { tokens: 500, usd: 0.005 } }, T0 + 40),
      ev(
        'phase.gate.failed',
        'intake',
        { attempt: 1, reasons: ['ambiguity too high: 0.4 > 0.2'], willRetry: true },
        T0 + 50,
      ),
      ev('phase.retry', 'intake', { attempt: 2, maxAttempts: 3, reasons: [], hints: [] }, T0 + 60),
    ]);
    const intake = state.phases[0];
    expect(intake).toMatchObject({
      status: 'running',
      stage: 'dispatch',
      attempt: 2,
      tasksDone: 1,
      tasksTotal: 3,
    });
    expect(intake?.tokens).toBe(1500);
    expect(intake?.usd).toBeCloseTo(0.015, 10);
    expect(state.notes).toEqual([
      '✗ intake gate failed (attempt 1): ambiguity too high: 0.4 > 0.2 → auto-fixing',
    ]);

    const done = fold([
      ...started,
      ev('phase.started', 'intake', { attempt: 1, agents: ['a'], budgets: {}, timeboxMs: 0 }, T0 + 10),
      ev(
        'phase.complete',
        'intake',
        { attempts: 2, outcome: 'passed', durationMs: 4_200, usage: { tokens: 2500, usd: 0.02 } },
        T0 + 4_210,
      ),
    ]);
    // The phase's own total replaces the running sum.
    expect(done.phases[0]).toMatchObject({
      status: 'passed',
      attempt: 2,
      tokens: 2500,
      usd: 0.02,
      durationMs: 4_200,
    });
  });

  it('keeps only the last three notes and records the run outcome with its usage', () => {
    const errors = [1, 2, 3, 4].map((i) =>
      ev(
        'phase.error',
        'ideation',
        { attempt: 1, stage: 'dispatch', error: { message: `boom ${i}\nstack` } },
        T0 + i,
      ),
    );
    const state = fold([
      ...started,
      ...errors,
      ev('run.failed', null, { error: { message: 'ideation failed' }, usage: { tokens: 9, usd: 1 } }, T0 + 9),
    ]);
    expect(state.notes).toEqual([
      '! ideation error: boom 3',
      '! ideation error: boom 4',
      'run failed: ideation failed',
    ]);
    expect(state.outcome).toBe('failed');
    expect(state.runUsage).toEqual({ tokens: 9, usd: 1 });
  });
});

describe('ETA from the phases history', () => {
  const history = {
    medianMs: { intake: 1_000, ideation: 2_000, security: 5_000, 'story-loop': 3_000, release: 1_000 },
    samples: 10,
  };

  it('adds the levels, a level costing its slowest phase, minus what a running phase has spent', () => {
    expect(estimateRemainingMs(fold(started), history, T0)).toBe(1_000 + 2_000 + 5_000 + 1_000);
    const state = fold([
      ...started,
      ev(
        'phase.complete',
        'intake',
        { attempts: 1, outcome: 'passed', durationMs: 900, usage: {} },
        T0 + 900,
      ),
      ev('phase.started', 'ideation', { attempt: 1, agents: ['a'], budgets: {}, timeboxMs: 0 }, T0 + 1_000),
    ]);
    // ideation has run 1.5 s of its 2 s median.
    expect(estimateRemainingMs(state, history, T0 + 2_500)).toBe(500 + 5_000 + 1_000);
    // A phase past its median counts zero, not negative.
    expect(estimateRemainingMs(state, history, T0 + 60_000)).toBe(5_000 + 1_000);
  });

  it('is unknown when a phase still to run has no history, and zero when all are done', () => {
    expect(estimateRemainingMs(fold(started), { medianMs: { intake: 1 }, samples: 1 }, T0)).toBeNull();
    const all = fold([
      ...started,
      ...LEVELS.flat().map((p, i) =>
        ev('phase.complete', p, { attempts: 1, outcome: 'passed', durationMs: 1, usage: {} }, T0 + i),
      ),
    ]);
    expect(estimateRemainingMs(all, noHistory, T0)).toBe(0);
  });
});

describe('rendering', () => {
  it('draws one line per phase in order with bar, tasks, gate, tokens, cost and time, then totals', () => {
    const state = fold([
      ...started,
      ev('phase.started', 'intake', { attempt: 1, agents: ['a', 'b'], budgets: {}, timeboxMs: 0 }, T0),
      ev(
        'phase.complete',
        'intake',
        { attempts: 1, outcome: 'passed', durationMs: 1_500, usage: { tokens: 25_012, usd: 0.5 } },
        T0 + 1_500,
      ),
      ev(
        'phase.started',
        'ideation',
        { attempt: 1, agents: ['a', 'b', 'c', 'd'], budgets: {}, timeboxMs: 0 },
        T0 + 1_600,
      ),
      ev(
        'phase.progress',
        'ideation',
        { attempt: 1, stage: 'dispatch', pct: 50, tasksDone: 2, tasksTotal: 4 },
        T0 + 2_000,
      ),
    ]);
    const lines = renderLiveView(state, {
      nowMs: T0 + 4_600,
      history: {
        medianMs: { ideation: 5_000, security: 1_000, 'story-loop': 2_000, release: 500 },
        samples: 8,
      },
      columns: 200,
    });
    expect(lines).toEqual([
      'run run-1  "A shared todo app"',
      `✓ intake      ${progressBar(1, 1)}    2/2  gate 1       25.0k tok  $0.5000      1.5s  passed`,
      `▶ ideation    ${progressBar(2, 4)}    2/4  gate 1           0 tok  $0.0000      3.0s  dispatch`,
      `· security    ${progressBar(0, 0)}      -`,
      `· story-loop  ${progressBar(0, 0)}      -`,
      `· release     ${progressBar(0, 0)}      -`,
      // ideation: 5 s median − 3 s run = 2 s; then max(1, 2) s; then 0.5 s.
      'elapsed 4.6s · 25.0k tokens · $0.5000 · ETA ~4.5s (median of 8 earlier phase runs)',
    ]);
  });

  it('says the ETA is unknown without history, shows the outcome at the end, and fits the width', () => {
    const lines = renderLiveView(fold(started), { nowMs: T0, history: noHistory, columns: 30 });
    expect(lines.at(-1)).toBe('elapsed 0.0s · 0 tokens · $0.…');
    expect(lines.every((l) => [...l].length <= 30)).toBe(true);
    const wide = renderLiveView(fold(started), { nowMs: T0, history: noHistory, columns: 200 });
    expect(wide.at(-1)).toContain('ETA — (no history for every phase yet)');
    const finished = fold([
      ...started,
      ev('run.completed', null, { durationMs: 5, usage: { tokens: 1, usd: 0 }, phases: [] }, T0 + 2_500),
    ]);
    // A finished run's clock stops at its end, however late the view is drawn (events --follow later).
    expect(renderLiveView(finished, { nowMs: T0 + 600_000, history: noHistory, columns: 200 }).at(-1)).toBe(
      'elapsed 2.5s · 1 tokens · $0.0000 · succeeded',
    );
  });

  it('formats durations, token counts and bars', () => {
    expect([formatDuration(1_234), formatDuration(184_000), formatDuration(3_720_000)]).toEqual([
      '1.2s',
      '3m 04s',
      '1h 02m',
    ]);
    expect([formatTokens(950), formatTokens(12_345), formatTokens(4_560_000)]).toEqual([
      '950',
      '12.3k',
      '4.56M',
    ]);
    expect(progressBar(1, 4, 8)).toBe('██░░░░░░');
    expect(progressBar(0, 0, 4)).toBe('░░░░');
  });
});
