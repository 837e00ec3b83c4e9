import { z } from 'zod';
import { UsageSchema } from './budgets.ts';
import {
  ErrorSummarySchema,
  IdSchema,
  NonNegativeIntSchema,
  PositiveIntSchema,
  Sha256Schema,
  TimestampSchema,
} from './common.ts';
import { taskEvent } from './event-envelope.ts';
import { ShardSchema, TASK_KINDS } from './task-spec.ts';

/**
 * How a task is tried again. `backoff`: same task after exponential backoff with jitter;
 * `reclaim`: its lease lapsed, re-run from the last checkpoint; the rest are unsticker moves for a
 * stalled or repeatedly failing task: `smaller-batch` (chunk the input), `fallback-tool` (next tool
 * on the allowlist), `fallback-model` (another model), `stricter-prompt` (lower temperature, tighter
 * schema instructions), `schema-repair` (one repair pass on invalid output), `sandbox-restart`.
 */
export const RETRY_STRATEGIES = [
  'backoff',
  'reclaim',
  'smaller-batch',
  'fallback-tool',
  'fallback-model',
  'stricter-prompt',
  'schema-repair',
  'sandbox-restart',
  'chunk',
  'self-execution',
  'escalate',
] as const;
export type RetryStrategy = (typeof RETRY_STRATEGIES)[number];

/** `attempt` in task events is the task attempt, incremented at claim time. */
const attempt = PositiveIntSchema;

export const TaskEnqueuedEvent = taskEvent(
  'task.enqueued',
  z.strictObject({
    kind: z.enum(TASK_KINDS),
    target: z.string().min(1),
    idempotenceKey: Sha256Schema,
    priority: z.int(),
    runAt: TimestampSchema,
    shard: ShardSchema.optional(),
  }),
);

export const TaskStartedEvent = taskEvent(
  'task.started',
  z.strictObject({
    attempt,
    workerId: z.string().min(1),
    leaseUntil: TimestampSchema,
    /** The checkpoint token it resumed from, null when it started from scratch. */
    resumedFrom: z.string().nullable(),
  }),
);

export const TaskSucceededEvent = taskEvent(
  'task.succeeded',
  z.strictObject({
    attempt,
    durationMs: NonNegativeIntSchema,
    usage: UsageSchema,
    artifactIds: z.array(IdSchema),
  }),
);

export const TaskFailedEvent = taskEvent(
  'task.failed',
  z.strictObject({ attempt, error: ErrorSummarySchema, willRetry: z.boolean() }),
);

export const TaskRetryEvent = taskEvent(
  'task.retry',
  z.strictObject({
    attempt: attempt.describe('The attempt that failed or stalled.'),
    strategy: z.enum(RETRY_STRATEGIES),
    delayMs: NonNegativeIntSchema,
    runAt: TimestampSchema,
    reason: z.string().min(1),
  }),
);

/** Out of attempts: the task is dead-lettered with its history for inspection. */
export const TaskDeadEvent = taskEvent(
  'task.dead',
  z.strictObject({ attempts: PositiveIntSchema, error: ErrorSummarySchema }),
);

export const TaskCancelledEvent = taskEvent(
  'task.cancelled',
  z.strictObject({ reason: z.string().min(1), attempt: NonNegativeIntSchema }),
);

/**
 * A write fenced by `(taskId, attempt)` arrived from an attempt that is no longer current and was
 * rejected (invariant 4). Recorded because it means a worker outlived its lease.
 */
export const TaskStaleWriteEvent = taskEvent(
  'task.stale_write',
  z.strictObject({
    attempt: attempt.describe('The stale attempt that tried to write.'),
    currentAttempt: NonNegativeIntSchema,
    operation: z.enum(['heartbeat', 'checkpoint', 'complete', 'fail', 'model-call']),
    workerId: z.string().optional(),
  }),
);

export const TASK_EVENTS = [
  TaskEnqueuedEvent,
  TaskStartedEvent,
  TaskSucceededEvent,
  TaskFailedEvent,
  TaskRetryEvent,
  TaskDeadEvent,
  TaskCancelledEvent,
  TaskStaleWriteEvent,
] as const;
