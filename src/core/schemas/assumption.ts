import { z } from 'zod';
import { IdSchema, PhaseNameSchema } from './common.ts';
import { contract } from './registry.ts';

export const ASSUMPTION_STATUSES = ['active', 'validated', 'invalidated'] as const;
export type AssumptionStatus = (typeof ASSUMPTION_STATUSES)[number];

/**
 * Agents never ask a human: an unknown the Q/A/V triad cannot answer becomes an assumption, recorded
 * with why it was made and what would de-risk it (a mitigation, possibly a task).
 */
export const AssumptionSchema = contract(
  z.strictObject({
    id: IdSchema,
    phase: PhaseNameSchema,
    statement: z.string().min(1),
    rationale: z.string().optional(),
    mitigation: z.string().optional(),
    mitigationTaskId: IdSchema.optional(),
    status: z.enum(ASSUMPTION_STATUSES),
  }),
  'schema.assumption.v1',
  'Assumption',
  'An unknown turned into an explicit, tracked assumption with its mitigation.',
);
export type Assumption = z.infer<typeof AssumptionSchema>;
