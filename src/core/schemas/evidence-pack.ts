import { z } from 'zod';
import { ArtifactRefSchema } from './artifact-ref.ts';
import { AssumptionSchema } from './assumption.ts';
import { UsageSchema } from './budgets.ts';
import {
  IdSchema,
  MetricsSchema,
  NonNegativeIntSchema,
  PhaseNameSchema,
  PositiveIntSchema,
  TimestampSchema,
  UnitIntervalSchema,
} from './common.ts';
import { GuardReportSchema } from './guard-report.ts';
import { contract } from './registry.ts';

/** Outcome counts of the Question / Answer / Validate triad for one phase attempt. */
export const QavSummarySchema = z.strictObject({
  questions: NonNegativeIntSchema,
  accepted: NonNegativeIntSchema,
  rejected: NonNegativeIntSchema,
  unknown: NonNegativeIntSchema.describe('Questions left unanswered; each became an assumption.'),
  grounding: UnitIntervalSchema.describe('Mean grounding score of the accepted answers.'),
});
export type QavSummary = z.infer<typeof QavSummarySchema>;

/**
 * Everything a gate needs to decide, and nothing it has to trust: artifacts by hash, what the guards
 * measured, what Q/A/V settled, which knowledge frames were added, and the flattened metrics the
 * rubrics are compared against. One shape for all phases.
 */
export const EvidencePackSchema = contract(
  z.strictObject({
    id: IdSchema.optional().describe('Assigned when the pack is stored.'),
    runId: IdSchema,
    phase: PhaseNameSchema,
    attempt: PositiveIntSchema,
    artifacts: z.array(ArtifactRefSchema),
    guardReports: z.array(GuardReportSchema),
    qavSummary: QavSummarySchema,
    kmapRefs: z.array(IdSchema).describe('Knowledge Map frame ids added or fused in this attempt.'),
    metrics: MetricsSchema.describe('Metric name → value; rubric <metric>_* thresholds read these.'),
    assumptions: z.array(AssumptionSchema),
    usage: UsageSchema.optional(),
    createdAt: TimestampSchema.optional(),
  }),
  'schema.phase.evidencepack.v1',
  'EvidencePack',
  'The evidence a phase hands to its gate: artifacts, guard reports, Q/A/V summary, knowledge refs, metrics.',
);
export type EvidencePack = z.infer<typeof EvidencePackSchema>;
