import { z } from 'zod';
import { IdSchema, MetricsSchema, PositiveIntSchema, TimestampSchema } from './common.ts';
import { contract } from './registry.ts';

/**
 * A running task's sign of life. It extends the task's lease and updates its progress row; it is
 * fenced by `(taskId, attempt)` so a heartbeat from a superseded attempt changes nothing.
 *
 * Heartbeats are deliberately not events: at one every 5 s, four workers over a 50-hour run write
 * 144,000 of them, which would swamp the event log, the ledger and every SSE client while saying
 * nothing new. Progress reaches the event log as throttled `phase.progress` events, and a missed
 * heartbeat as `phase.stalled`.
 */
export const HeartbeatSchema = contract(
  z.strictObject({
    taskId: IdSchema,
    attempt: PositiveIntSchema,
    pct: z.number().min(0).max(100).describe('Percent complete.'),
    eta: TimestampSchema.optional(),
    metrics: MetricsSchema.optional(),
  }),
  'schema.task.heartbeat.v1',
  'Heartbeat',
  'Progress report of a running task; extends its lease.',
);
export type Heartbeat = z.infer<typeof HeartbeatSchema>;
