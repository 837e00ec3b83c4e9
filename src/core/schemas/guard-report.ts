import { z } from 'zod';
import { MetricsSchema, UnitIntervalSchema } from './common.ts';
import { contract } from './registry.ts';

export const FINDING_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

export const FindingSchema = z.strictObject({
  severity: z.enum(FINDING_SEVERITIES),
  message: z.string().min(1),
  /** Where it was found: an artifact id and pointer, a file:line, a story id... */
  location: z.string().optional(),
  /** The rubric it bears on, so auto-fix can aim at the failing rubric. */
  rubric: z.string().optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

/**
 * What one guard measured. Guards are code, not models: they compute metrics (ambiguity,
 * contradictions, critical_cves...) from the phase's artifacts, and the gatekeeper compares those
 * metrics with the phase's rubrics. A guard's own `pass` is advisory; the gate decides.
 */
export const GuardReportSchema = contract(
  z.strictObject({
    guard: z.string().min(1).describe('Guard id, e.g. intake.ambiguity.'),
    version: z.string().optional(),
    pass: z.boolean(),
    score: UnitIntervalSchema.optional(),
    metrics: MetricsSchema,
    findings: z.array(FindingSchema),
    summary: z.string().optional(),
  }),
  'schema.guard.report.v1',
  'GuardReport',
  'Metrics and findings one guard computed from a phase draft.',
);
export type GuardReport = z.infer<typeof GuardReportSchema>;
