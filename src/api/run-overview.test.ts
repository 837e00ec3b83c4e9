import { describe, expect, it } from 'vitest';
import type { RunPlan } from '../core/schemas/run-plan.ts';
import type { LatestEvidence, TaskSpan } from '../storage/dashboard-queries.ts';
import type { StoredEvent } from '../storage/event-store.ts';
import type { PhaseRecord } from '../storage/run-store.ts';
import {
  burnSeries,
  gateAttempts,
  gateReadiness,
  pipelineOrder,
  problemSummary,
  taskHeatmap,
} from './run-overview.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);

function event(
  seq: number,
  type: string,
  phase: string | null,
  payload: Record<string, unknown>,
): StoredEvent {
  return { seq, id: `e${seq}`, type, runId: 'r', phase, taskId: null, payload, createdAt: at(seq) };
}

function span(phase: string, start: number, end: number | null): TaskSpan {
  return {
    phase,
    state: end === null ? 'running' : 'succeeded',
    attempt: 1,
    createdAt: at(start),
    startedAt: at(start),
    completedAt: end === null ? null : at(end),
  };
}

const plan = {
  levels: [['intake'], ['ideation'], ['security', 'story-loop']],
  phases: [
    {
      phase: 'ideation',
      rubrics: { ambiguity_max: 0.2, sbom_required: true },
      refinery: { fissionMinCoverage: 0.8, fusionMinConsensus: 0.6 },
      maxGateAttempts: 3,
    },
  ],
} as unknown as RunPlan;

describe('pipelineOrder', () => {
  it('orders phases by the plan levels, unknown ones last', () => {
    const phases = ['story-loop', 'extra', 'intake', 'security', 'ideation'].map(
      (phase) => ({ phase }) as PhaseRecord,
    );
    expect(pipelineOrder(plan, phases).map((p) => p.phase)).toEqual([
      'intake',
      'ideation',
      'security',
      'story-loop',
      'extra',
    ]);
  });
});

describe('taskHeatmap', () => {
  it('counts each task in every column it was running, per phase', () => {
    // 0..40 s over 4 columns of 10 s (+1 ms so the last instant falls inside).
    const spans = [
      span('intake', 0, 15),
      span('intake', 5, 8),
      span('ideation', 20, 40),
      span('ideation', 31, 32),
    ];
    const heat = taskHeatmap(spans, ['intake', 'ideation', 'prd'], at(100), 4);
    expect(heat.start).toBe(at(0).toISOString());
    expect(heat.bucketMs).toBe(10_001);
    expect(heat.rows).toEqual([
      { phase: 'intake', counts: [2, 1, 0, 0] },
      { phase: 'ideation', counts: [0, 1, 1, 2] },
      { phase: 'prd', counts: [0, 0, 0, 0] },
    ]);
  });

  it('extends a running task to now and reports an empty map before any task started', () => {
    const heat = taskHeatmap([span('intake', 0, null)], ['intake'], at(8), 4);
    expect(heat.bucketMs).toBe(2_001);
    expect(heat.rows[0]?.counts).toEqual([1, 1, 1, 1]);
    expect(taskHeatmap([], ['intake'], at(8), 3)).toEqual({
      start: null,
      bucketMs: 0,
      columns: 3,
      rows: [{ phase: 'intake', counts: [0, 0, 0] }],
    });
  });
});

describe('gateReadiness', () => {
  const evidence: LatestEvidence = {
    id: 'pack-2',
    phase: 'ideation',
    attempt: 2,
    metrics: { ambiguity: 0.35, fission_coverage: 0.9, fusion_consensus: 0.7 },
    qavSummary: null,
    createdAt: at(10),
  };

  it('takes the verdict of the gate event on the latest evidence pack, rubric by rubric', () => {
    const gates = [
      event(1, 'phase.gate.passed', 'ideation', { attempt: 1, score: 1, evidencePackId: 'pack-1' }),
      event(2, 'phase.gate.failed', 'ideation', {
        attempt: 2,
        score: 0.5,
        evidencePackId: 'pack-2',
        failedRubrics: ['ambiguity_max', 'sbom_required'],
      }),
    ];
    const r = gateReadiness(plan, 'ideation', evidence, gates);
    expect(r.verdict).toBe('failed');
    expect(r.attempt).toBe(2);
    expect(r.rubrics).toEqual([
      { rubric: 'ambiguity_max', metric: 'ambiguity', threshold: 0.2, actual: 0.35, pass: false },
      { rubric: 'sbom_required', metric: 'sbom', threshold: true, actual: null, pass: false },
      { rubric: 'fission_coverage_min', metric: 'fission_coverage', threshold: 0.8, actual: 0.9, pass: true },
      { rubric: 'fusion_consensus_min', metric: 'fusion_consensus', threshold: 0.6, actual: 0.7, pass: true },
    ]);
  });

  it('leaves the verdict open while the gate has not judged the latest evidence', () => {
    const gates = [
      event(1, 'phase.gate.failed', 'ideation', {
        attempt: 1,
        evidencePackId: 'pack-1',
        failedRubrics: ['ambiguity_max'],
      }),
    ];
    const r = gateReadiness(plan, 'ideation', evidence, gates);
    expect(r.verdict).toBeNull();
    expect(r.rubrics.map((x) => x.pass)).toEqual([null, null, null, null]);
    expect(gateReadiness(plan, 'intake', undefined, gates)).toEqual({
      phase: 'intake',
      attempt: null,
      verdict: null,
      rubrics: [],
    });
  });
});

describe('gateAttempts', () => {
  it('lists each phase’s gate attempts in order with pass or fail', () => {
    const byPhase = gateAttempts([
      event(1, 'phase.gate.failed', 'prd', { attempt: 1, score: 0.5 }),
      event(2, 'phase.started', 'prd', { attempt: 2 }),
      event(3, 'phase.gate.passed', 'prd', { attempt: 2, score: 1 }),
    ]);
    expect(byPhase.get('prd')).toEqual([
      { attempt: 1, pass: false, score: 0.5, at: at(1).toISOString() },
      { attempt: 2, pass: true, score: 1, at: at(3).toISOString() },
    ]);
  });
});

describe('burnSeries', () => {
  it('accumulates tokens and dollars after each finished agent task', () => {
    const points = burnSeries([
      event(1, 'phase.agent.complete', 'intake', { usage: { tokens: 100, usd: 0.5 } }),
      event(2, 'phase.agent.complete', 'intake', { usage: { tokens: 50, usd: 0 } }),
      event(3, 'phase.agent.complete', 'intake', {}),
    ]);
    expect(points).toEqual([
      [at(1).getTime() / 1000, 100, 0.5],
      [at(2).getTime() / 1000, 150, 0.5],
      [at(3).getTime() / 1000, 150, 0.5],
    ]);
  });

  it('thins a long series to 500 points and keeps the final total', () => {
    const events = Array.from({ length: 2_000 }, (_, i) =>
      event(i + 1, 'phase.agent.complete', 'qa', { usage: { tokens: 1, usd: 0 } }),
    );
    const points = burnSeries(events);
    expect(points).toHaveLength(500);
    expect(points.at(-1)?.[1]).toBe(2_000);
  });
});

describe('problemSummary', () => {
  it('says what a stall, a retry and an error were', () => {
    expect(
      problemSummary(event(1, 'phase.stalled', 'qa', { reason: 'no-heartbeat', strategy: 'retry-smaller' })),
    ).toBe('stalled (no-heartbeat), unsticker chose retry-smaller');
    expect(
      problemSummary(event(2, 'task.retry', 'qa', { strategy: 'backoff', reason: 'rate limited' })),
    ).toBe('retry with backoff: rate limited');
    expect(problemSummary(event(3, 'task.failed', 'qa', { error: { message: 'boom' } }))).toBe('boom');
    expect(problemSummary(event(4, 'phase.gate.failed', 'qa', { attempt: 2, reasons: ['a', 'b'] }))).toBe(
      'gate attempt 2 failed: a; b',
    );
  });
});
