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
});
