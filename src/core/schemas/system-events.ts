import { z } from 'zod';
import { BUDGET_RESOURCES, BudgetsSchema, UsageSchema } from './budgets.ts';
import {
  AgentIdSchema,
  IdSchema,
  NonNegativeIntSchema,
  Sha256Schema,
  TimestampSchema,
  UnitIntervalSchema,
} from './common.ts';
import { phaseEvent, runEvent } from './event-envelope.ts';

/**
 * Events from the parts around the phase loop: budgets, durable timers, the Knowledge Refinery,
 * assumptions and artifacts.
 */

export const BudgetExceededEvent = runEvent(
  'budget.exceeded',
  z.strictObject({
    scope: z.enum(['task', 'phase', 'run']),
    resources: z.array(z.enum(BUDGET_RESOURCES)).min(1),
    budgets: BudgetsSchema,
    usage: UsageSchema,
    /** What happened: the spend was refused, the phase or run paused, or it failed. */
    action: z.enum(['blocked', 'paused', 'failed']),
  }),
);

export const TimerFiredEvent = runEvent(
  'timer.fired',
  z.strictObject({
    timerId: IdSchema,
    key: z.string().min(1),
    kind: z.enum(['retry', 'timeout', 'timebox', 'custom']),
    fireAt: TimestampSchema,
    /** How late it fired: timers fire late rather than never (a process was down, a poll was slow). */
    lateMs: NonNegativeIntSchema,
  }),
);

export const KmapDeltaCreatedEvent = phaseEvent(
  'kmap.delta.created',
  z.strictObject({
    deltaId: IdSchema,
    frameIds: z.array(IdSchema).min(1),
    coverage: UnitIntervalSchema.describe('Fission coverage of the claims this delta grounds.'),
  }),
);

export const KmapFusionCompleteEvent = phaseEvent(
  'kmap.fusion.complete',
  z.strictObject({
    frameIds: z.array(IdSchema).describe('Canonical frames after fusion.'),
    mergedCount: NonNegativeIntSchema,
    consensus: UnitIntervalSchema,
  }),
);

export const AssumptionCreatedEvent = phaseEvent(
  'assumption.created',
  z.strictObject({
    assumptionId: IdSchema,
    statement: z.string().min(1),
    mitigationTaskId: IdSchema.optional(),
  }),
);

export const ArtifactCreatedEvent = phaseEvent(
  'artifact.created',
  z.strictObject({
    artifactId: IdSchema,
    type: z.string().min(1),
    name: z.string().min(1),
    hash: Sha256Schema,
    /** Who made it: `agent.id@version` or `tool-id@version`. */
    source: z.string().min(1),
    agentId: AgentIdSchema.optional(),
  }),
);

export const SYSTEM_EVENTS = [
  BudgetExceededEvent,
  TimerFiredEvent,
  KmapDeltaCreatedEvent,
  KmapFusionCompleteEvent,
  AssumptionCreatedEvent,
  ArtifactCreatedEvent,
] as const;
