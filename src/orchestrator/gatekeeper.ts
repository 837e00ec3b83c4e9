import type { GateResult } from '../core/schemas/gate-result.ts';
import { parseRubricName, type RubricResult, type RubricThreshold } from '../core/schemas/rubric.ts';

/**
 * The gate: rubric thresholds evaluated by code over measured evidence. A model never decides a gate.
 * A rubric whose metric nobody measured fails (fail closed). A metric the phase marks as measured is
 * accepted only from a tool report: a figure for it that came from anywhere else (an agent's output,
 * read by a guard) is refused with the reason, and the rubric fails. A failed rubric is waived only
 * when the phase's policy lists it in `waivers_allowed` and an active, unexpired waiver names it, with
 * an owner and a compensating control.
 */

export type Metrics = Readonly<Record<string, number | boolean>>;

/** Where a metric's value came from; see measured-metrics.ts. */
export interface MetricOrigin {
  source: 'tool' | 'agent';
  by: string;
  detail?: string;
}

export interface EvidenceRules {
  /** Metrics that only a tool may report. */
  measured?: readonly string[];
  /** The origin of each metric in `metrics`. */
  origins?: Readonly<Record<string, MetricOrigin>>;
  /** Why a measured metric is missing, when it is known (a tool that crashed, an audit that could not run). */
  unmeasured?: Readonly<Record<string, string>>;
}

export interface GateWaiver {
  id: string;
  violationType: string;
  owner: string;
  expiresAt: Date;
  compensatingControl: string;
}

export interface GateInput {
  phase: string;
  attempt: number;
  rubrics: Readonly<Record<string, RubricThreshold>>;
  metrics: Metrics;
  waiversAllowed: readonly string[];
  waivers?: readonly GateWaiver[];
  now: Date;
  evidence?: EvidenceRules;
}

export function evaluateRubric(
  rubric: string,
  threshold: RubricThreshold,
  metrics: Metrics,
  evidence: EvidenceRules = {},
): RubricResult & { reason?: string } {
  const result = judgeRubric(rubric, threshold, metrics, evidence);
  const detail = evidence.origins?.[result.metric]?.detail;
  // A failure carries the tool's evidence (failing tests, parse errors) so the reason is actionable.
  return !result.pass && result.reason && detail && result.actual !== null
    ? { ...result, reason: `${result.reason} (${detail})` }
    : result;
}

function judgeRubric(
  rubric: string,
  threshold: RubricThreshold,
  metrics: Metrics,
  evidence: EvidenceRules,
): RubricResult & { reason?: string } {
  const parsed = parseRubricName(rubric);
  const metric = parsed?.metric ?? rubric;
  const reported = Object.hasOwn(metrics, metric) ? (metrics[metric] as number | boolean) : null;
  const origin = evidence.origins?.[metric];
  if (parsed && reported !== null && evidence.measured?.includes(metric) && origin?.source !== 'tool') {
    return {
      rubric,
      metric,
      threshold,
      actual: null,
      pass: false,
      reason: `${rubric} refused: "${metric}" = ${reported} came from ${origin?.by ?? 'an unknown source'}, not a tool; a measured metric is taken only from a tool report`,
    };
  }
  const actual = reported;
  const base = { rubric, metric, threshold, actual };
  if (!parsed) return { ...base, pass: false, reason: `${rubric}: not a valid rubric name` };
  if (actual === null)
    return {
      ...base,
      pass: false,
      reason: evidence.unmeasured?.[metric]
        ? `${rubric} not measured: ${evidence.unmeasured[metric]}`
        : evidence.measured?.includes(metric)
          ? `${rubric} not measured: no tool reported "${metric}"`
          : `${rubric} not measured: no guard reported "${metric}"`,
    };
  switch (parsed.kind) {
    case 'max': {
      const pass = typeof actual === 'number' && typeof threshold === 'number' && actual <= threshold;
      return pass
        ? { ...base, pass }
        : { ...base, pass, reason: `${rubric} exceeded: ${actual} > ${threshold}` };
    }
    case 'min': {
      const pass = typeof actual === 'number' && typeof threshold === 'number' && actual >= threshold;
      return pass
        ? { ...base, pass }
        : { ...base, pass, reason: `${rubric} not met: ${actual} < ${threshold}` };
    }
    case 'required': {
      const pass = actual === threshold;
      return pass
        ? { ...base, pass }
        : { ...base, pass, reason: `${rubric} not satisfied: ${metric} is ${actual}, required ${threshold}` };
    }
    case 'range': {
      const [lo, hi] = Array.isArray(threshold) ? threshold : [Number.NaN, Number.NaN];
      const pass = typeof actual === 'number' && actual >= lo && actual <= hi;
      return pass
        ? { ...base, pass }
        : { ...base, pass, reason: `${rubric} out of range: ${actual} not in [${lo}, ${hi}]` };
    }
  }
}

export function evaluateGate(input: GateInput): GateResult {
  const results: RubricResult[] = [];
  const reasons: string[] = [];
  const waiversApplied: string[] = [];
  for (const rubric of Object.keys(input.rubrics).sort()) {
    const threshold = input.rubrics[rubric] as RubricThreshold;
    const { reason, ...result } = evaluateRubric(rubric, threshold, input.metrics, input.evidence);
    if (!result.pass) {
      const waiver = input.waiversAllowed.includes(rubric)
        ? input.waivers?.find(
            (w) =>
              w.violationType === rubric &&
              w.expiresAt.getTime() > input.now.getTime() &&
              w.owner &&
              w.compensatingControl,
          )
        : undefined;
      if (waiver) {
        results.push({ ...result, waived: true, waiverId: waiver.id });
        waiversApplied.push(waiver.id);
        continue;
      }
      reasons.push(reason ?? `${rubric} failed`);
    }
    results.push(result);
  }
  const passed = results.filter((r) => r.pass).length;
  return {
    phase: input.phase,
    attempt: input.attempt,
    pass: reasons.length === 0,
    score: results.length === 0 ? 1 : Math.round((passed / results.length) * 10_000) / 10_000,
    reasons,
    rubricResults: results,
    waiversApplied,
    evaluatedAt: input.now.toISOString(),
  };
}
