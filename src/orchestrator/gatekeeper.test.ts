import { describe, expect, it } from 'vitest';
import { evaluateGate } from './gatekeeper.ts';

const now = new Date('2026-06-01T00:00:00Z');
const base = { phase: 'critique', attempt: 1, now, waiversAllowed: [] as string[] };

describe('gatekeeper', () => {
  it('fails a rubric with a reason naming it, and passes when thresholds hold', () => {
    const fail = evaluateGate({
      ...base,
      rubrics: { contradictions_max: 0, coverage_min: 0.8 },
      metrics: { contradictions: 2, coverage: 0.9 },
    });
    expect(fail.pass).toBe(false);
    expect(fail.reasons).toEqual(['contradictions_max exceeded: 2 > 0']);
    expect(fail.score).toBe(0.5);
    const ok = evaluateGate({ ...base, rubrics: { contradictions_max: 0 }, metrics: { contradictions: 0 } });
    expect(ok).toMatchObject({ pass: true, score: 1, reasons: [] });
  });

  it('fails closed when a metric was not measured; checks required flags and ranges', () => {
    const r = evaluateGate({
      ...base,
      rubrics: { secrets_max: 0, feasibility_required: true, personas_count_range: [3, 5] },
      metrics: { feasibility: false, personas_count: 6 },
    });
    expect(r.reasons).toEqual([
      'feasibility_required not satisfied: feasibility is false, required true',
      'personas_count_range out of range: 6 not in [3, 5]',
      'secrets_max not measured: no guard reported "secrets"',
    ]);
  });

  it('honours a waiver only when policy allows it and it is unexpired', () => {
    const waiver = {
      id: 'w1',
      violationType: 'coverage_min',
      owner: 'lead',
      expiresAt: new Date('2026-07-01'),
      compensatingControl: 'manual review',
    };
    const rubrics = { coverage_min: 0.9 };
    const metrics = { coverage: 0.5 };
    expect(evaluateGate({ ...base, rubrics, metrics, waivers: [waiver] }).pass).toBe(false);
    const allowed = evaluateGate({
      ...base,
      rubrics,
      metrics,
      waivers: [waiver],
      waiversAllowed: ['coverage_min'],
    });
    expect(allowed).toMatchObject({ pass: true, waiversApplied: ['w1'] });
    expect(allowed.rubricResults[0]).toMatchObject({ pass: false, waived: true });
    const expired = { ...waiver, expiresAt: new Date('2026-05-01') };
    expect(
      evaluateGate({ ...base, rubrics, metrics, waivers: [expired], waiversAllowed: ['coverage_min'] }).pass,
    ).toBe(false);
  });

  describe('measured metrics', () => {
    const qa = { ...base, phase: 'qa', rubrics: { test_coverage_min: 0.8 } };
    const measured = ['test_coverage'];

    it('refuses an agent-written coverage figure, even one that clears the threshold', () => {
      const r = evaluateGate({
        ...qa,
        metrics: { test_coverage: 0.95 },
        evidence: {
          measured,
          origins: { test_coverage: { source: 'agent', by: 'guard qa over qa.coverage-analyst output' } },
        },
      });
      expect(r.pass).toBe(false);
      expect(r.reasons).toEqual([
        'test_coverage_min refused: "test_coverage" = 0.95 came from guard qa over qa.coverage-analyst output, not a tool; a measured metric is taken only from a tool report',
      ]);
      expect(r.rubricResults[0]).toMatchObject({ pass: false, actual: null });
    });

    it('refuses a figure of unknown origin and fails closed when no tool reported it', () => {
      const unknown = evaluateGate({ ...qa, metrics: { test_coverage: 0.9 }, evidence: { measured } });
      expect(unknown.reasons[0]).toMatch(/came from an unknown source, not a tool/);
      const missing = evaluateGate({ ...qa, metrics: {}, evidence: { measured } });
      expect(missing.reasons).toEqual(['test_coverage_min not measured: no tool reported "test_coverage"']);
    });

    it("accepts the tool's figure, and a failure carries the tool's evidence", () => {
      const origins = {
        test_coverage: { source: 'tool' as const, by: 'test-runner@24.21.0', detail: 'lines 91.00%' },
      };
      expect(
        evaluateGate({ ...qa, metrics: { test_coverage: 0.91 }, evidence: { measured, origins } }).pass,
      ).toBe(true);
      const low = evaluateGate({
        ...qa,
        metrics: { test_coverage: 0.5 },
        evidence: {
          measured,
          origins: { test_coverage: { ...origins.test_coverage, detail: 'lines 50.00%' } },
        },
      });
      expect(low.reasons).toEqual(['test_coverage_min not met: 0.5 < 0.8 (lines 50.00%)']);
    });
  });
});
