import { z } from 'zod';
import { UsageSchema } from './budgets.ts';
import { ErrorSummarySchema, NonNegativeIntSchema, PhaseNameSchema, Sha256Schema } from './common.ts';
import { runEvent } from './event-envelope.ts';

/** Who asked for a state change: `cli`, `api:<token name>`, `supervisor`... */
const actor = z.string().min(1).optional();

export const RunCreatedEvent = runEvent(
  'run.created',
  z.strictObject({ title: z.string().min(1), planHash: Sha256Schema.optional() }),
);

export const RunStartedEvent = runEvent(
  'run.started',
  z.strictObject({
    planHash: Sha256Schema,
    levels: z.array(z.array(PhaseNameSchema)),
    /** True when this process took over a run another process had started. */
    takeover: z.boolean(),
  }),
);

export const RunPausedEvent = runEvent('run.paused', z.strictObject({ reason: z.string().min(1), actor }));

export const RunResumedEvent = runEvent('run.resumed', z.strictObject({ actor }));

export const RunCancelledEvent = runEvent(
  'run.cancelled',
  z.strictObject({ reason: z.string().min(1), actor }),
);

export const RunCompletedEvent = runEvent(
  'run.completed',
  z.strictObject({
    durationMs: NonNegativeIntSchema,
    usage: UsageSchema,
    phases: z.array(PhaseNameSchema).describe('Phases that passed their gates, in completion order.'),
  }),
);

export const RunFailedEvent = runEvent(
  'run.failed',
  z.strictObject({
    error: ErrorSummarySchema,
    failedPhase: PhaseNameSchema.optional(),
    usage: UsageSchema.optional(),
  }),
);

export const RUN_EVENTS = [
  RunCreatedEvent,
  RunStartedEvent,
  RunPausedEvent,
  RunResumedEvent,
  RunCancelledEvent,
  RunCompletedEvent,
  RunFailedEvent,
] as const;
