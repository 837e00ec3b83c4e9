import { z } from 'zod';
import { IdSchema, PhaseNameSchema, PositiveIntSchema, TimestampSchema } from './common.ts';

/**
 * Every event is one row of the `events` table: an envelope (`seq`, `id`, `runId`, `phase`,
 * `taskId`, `createdAt`) plus a typed `payload`. The envelope says what the event is about, so
 * payloads never repeat the run, phase or task id. Three scopes tighten the envelope: a run event
 * may name a phase, a phase event must, and a task event must name its task (and names its run and
 * phase when it belongs to one: operator and diagnostic tasks such as `diag.sleep` have neither).
 */
const envelope = {
  seq: PositiveIntSchema.describe('Position in the event log; strictly increasing.'),
  id: IdSchema,
  createdAt: TimestampSchema,
};

export function runEvent<T extends string, P extends z.ZodType>(type: T, payload: P) {
  return z.strictObject({
    ...envelope,
    runId: IdSchema,
    type: z.literal(type),
    phase: PhaseNameSchema.nullable().optional(),
    taskId: IdSchema.nullable().optional(),
    payload,
  });
}

export function phaseEvent<T extends string, P extends z.ZodType>(type: T, payload: P) {
  return z.strictObject({
    ...envelope,
    runId: IdSchema,
    type: z.literal(type),
    phase: PhaseNameSchema,
    taskId: IdSchema.nullable().optional(),
    payload,
  });
}

export function taskEvent<T extends string, P extends z.ZodType>(type: T, payload: P) {
  return z.strictObject({
    ...envelope,
    runId: IdSchema.nullable(),
    type: z.literal(type),
    phase: PhaseNameSchema.nullable(),
    taskId: IdSchema,
    payload,
  });
}
