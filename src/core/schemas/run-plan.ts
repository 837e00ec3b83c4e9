import { z } from 'zod';
import { BudgetsSchema } from './budgets.ts';
import { IdSchema, IsoDurationSchema, PhaseNameSchema, Sha256Schema, TimestampSchema } from './common.ts';
import { PhasePlanSchema } from './phase-plan.ts';
import { contract } from './registry.ts';

/**
 * The whole run, planned up front: the phase DAG as levels (phases of one level may run in parallel
 * once the previous level has passed its gates), each phase's plan, the run budget, per-phase
 * timeboxes and required evidence. `planHash` identifies the plan: resuming a run with a different
 * plan is detected by comparing hashes.
 */
export const RunPlanSchema = contract(
  z.strictObject({
    runId: IdSchema,
    version: z.string().min(1).describe('Plan format version of the planner that produced it.'),
    levels: z.array(z.array(PhaseNameSchema).min(1)),
    phases: z.array(PhasePlanSchema).min(1),
    budgets: BudgetsSchema.describe('Run-wide limits: the sum of the phase budgets unless overridden.'),
    timeboxes: z.record(PhaseNameSchema, IsoDurationSchema),
    requiredEvidence: z.record(PhaseNameSchema, z.array(z.string().min(1))),
    planHash: Sha256Schema,
    createdAt: TimestampSchema.optional(),
  }),
  'schema.run.plan.v1',
  'RunPlan',
  'The execution plan of a run: DAG levels, phase plans, budgets, timeboxes, required evidence and plan hash.',
);
export type RunPlan = z.infer<typeof RunPlanSchema>;
