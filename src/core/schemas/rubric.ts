import { z } from 'zod';
import { contract } from './registry.ts';

/**
 * Rubrics are thresholds a gate checks against measured metrics. The name carries the comparison:
 * `<metric>_max` (actual ≤ n), `<metric>_min` (actual ≥ n), `<metric>_required` (flag must equal
 * the value, normally `true`), `<metric>_range` (lo ≤ actual ≤ hi). Rubric names stay snake_case in
 * TypeScript too: they are data (they appear in gate reasons such as "contradictions_max exceeded"),
 * not field names.
 */
export const RUBRIC_KINDS = ['max', 'min', 'required', 'range'] as const;
export type RubricKind = (typeof RUBRIC_KINDS)[number];

const RUBRIC_NAME = /^([a-z][a-z0-9_]*?)_(max|min|required|range)$/;

export const RubricNameSchema = z
  .string()
  .regex(RUBRIC_NAME, 'expected a rubric name ending in _max, _min, _required or _range');

export const RubricThresholdSchema = z.union([z.number(), z.boolean(), z.tuple([z.number(), z.number()])]);
export type RubricThreshold = z.infer<typeof RubricThresholdSchema>;

export interface ParsedRubricName {
  metric: string;
  kind: RubricKind;
}

/** Splits `ambiguity_max` into `{ metric: 'ambiguity', kind: 'max' }`; undefined for a bad name. */
export function parseRubricName(name: string): ParsedRubricName | undefined {
  const match = RUBRIC_NAME.exec(name);
  if (!match) return undefined;
  return { metric: match[1] as string, kind: match[2] as RubricKind };
}

const EXPECTED_BY_KIND: Record<RubricKind, string> = {
  max: 'number',
  min: 'number',
  required: 'boolean',
  range: '[lo, hi] pair of numbers',
};

/**
 * Why `value` cannot be the threshold of rubric `name`, or undefined when it can. Shared by the
 * contract below and the YAML loader so both report the same reason.
 */
export function rubricThresholdProblem(name: string, value: unknown): string | undefined {
  const parsed = parseRubricName(name);
  if (!parsed) return 'expected a rubric name ending in _max, _min, _required or _range';
  const { kind } = parsed;
  const ok =
    kind === 'required'
      ? typeof value === 'boolean'
      : kind === 'range'
        ? isRange(value)
        : typeof value === 'number' && Number.isFinite(value);
  if (!ok) return `expected ${EXPECTED_BY_KIND[kind]}`;
  if (kind === 'range' && isRange(value) && value[0] > value[1])
    return `range low ${value[0]} is above high ${value[1]}`;
  return undefined;
}

function isRange(value: unknown): value is [number, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((v) => typeof v === 'number' && Number.isFinite(v))
  );
}

export const RubricsSchema = contract(
  z.record(RubricNameSchema, RubricThresholdSchema).superRefine((rubrics, ctx) => {
    for (const [name, value] of Object.entries(rubrics)) {
      const problem = rubricThresholdProblem(name, value);
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem, input: value });
    }
  }),
  'schema.rubrics.v1',
  'Rubrics',
  'Gate thresholds by rubric name: <metric>_max, <metric>_min, <metric>_required or <metric>_range.',
);
export type Rubrics = z.infer<typeof RubricsSchema>;

/** The outcome of one rubric at one gate evaluation. */
export const RubricResultSchema = z.strictObject({
  rubric: RubricNameSchema,
  metric: z.string().min(1),
  threshold: RubricThresholdSchema,
  /** Null when no guard reported the metric: a missing measurement fails the rubric. */
  actual: z.union([z.number(), z.boolean(), z.null()]),
  pass: z.boolean(),
  /** True when the rubric failed but an active waiver covers it; `pass` then stays false. */
  waived: z.boolean().optional(),
  waiverId: z.string().optional(),
});
export type RubricResult = z.infer<typeof RubricResultSchema>;
