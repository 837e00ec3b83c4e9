import { z } from 'zod';
import {
  IdSchema,
  PhaseNameSchema,
  PositiveIntSchema,
  TimestampSchema,
  UnitIntervalSchema,
} from './common.ts';
import { contract } from './registry.ts';
import { RubricResultSchema } from './rubric.ts';

/**
 * A gate's decision on one evidence pack. `pass` is true only when every rubric passed or was
 * waived; `score` is the share of rubrics that passed (1 when the phase has no rubrics), a readiness
 * figure for dashboards, never the decision itself. `reasons` are human sentences naming the rubric
 * (e.g. "contradictions_max exceeded: 5 > 0") and `hints` are what auto-fix should try next.
 */
export const GateResultSchema = contract(
  z.strictObject({
    phase: PhaseNameSchema,
    attempt: PositiveIntSchema,
    pass: z.boolean(),
    score: UnitIntervalSchema,
    reasons: z.array(z.string()),
    rubricResults: z.array(RubricResultSchema),
    hints: z.array(z.string()).optional(),
    evidencePackId: IdSchema.optional(),
    waiversApplied: z.array(IdSchema).optional(),
    evaluatedAt: TimestampSchema.optional(),
  }),
  'schema.gate.result.v1',
  'GateResult',
  'Pass or fail of one phase gate with the per-rubric results and reasons.',
);
export type GateResult = z.infer<typeof GateResultSchema>;
