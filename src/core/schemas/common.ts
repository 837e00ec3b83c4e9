import { z } from 'zod';
import { ErrorClass } from '../errors.ts';

/**
 * Primitives shared by the contracts. They are not registered on their own: a JSON Schema reader
 * sees them inlined, which keeps each exported file readable without chasing references.
 */

/** A phase name: the 13 builtins, or a lowercase kebab-case name added by a user config. */
export const PhaseNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'expected a lowercase kebab-case phase name')
  .max(50);

/** An agent id is `<phase>.<name>`, e.g. `intake.classifier`. */
export const AgentIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/, 'expected an agent id like "intake.classifier"');

/** A tool id, optionally pinned to a version: `secret-scan` or `secret-scan@1.2.0`. */
export const ToolIdSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9._-]*(@[0-9A-Za-z.+-]+)?$/,
    'expected a tool id like "secret-scan" or "secret-scan@1"',
  );

/** Opaque identifier (database ids are uuids, but contracts do not depend on that). */
export const IdSchema = z.string().min(1).max(200);

export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex sha256');

/** Instants travel as ISO 8601 UTC strings so every event and contract is plain JSON. */
export const TimestampSchema = z.iso.datetime();

/** ISO 8601 duration without years or months (those have no fixed length): `PT30M`, `P1DT2H`. */
export const IsoDurationSchema = z
  .string()
  .regex(
    /^P(?!$)(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$/,
    'expected an ISO 8601 duration such as PT30M or P1DT2H',
  );

/** A ratio or score in [0, 1]. */
export const UnitIntervalSchema = z.number().min(0).max(1);

export const NonNegativeSchema = z.number().min(0);
export const NonNegativeIntSchema = z.int().min(0);
export const PositiveIntSchema = z.int().min(1);

/** Measured values a guard reports and a rubric compares against: numbers and flags only. */
export const MetricsSchema = z.record(z.string().min(1), z.union([z.number(), z.boolean()]));
export type Metrics = z.infer<typeof MetricsSchema>;

/** An error as it appears in events and results: the serialised form of IdeaMineError. */
export const ErrorSummarySchema = z.strictObject({
  code: z.string().min(1),
  message: z.string(),
  errorClass: z.enum(ErrorClass).optional(),
  retryable: z.boolean().optional(),
});
export type ErrorSummary = z.infer<typeof ErrorSummarySchema>;
