import { z } from 'zod';
import { PHASE_STAGES } from '../phases.ts';
import { BudgetsSchema, UsageSchema } from './budgets.ts';
import {
  AgentIdSchema,
  ErrorSummarySchema,
  IdSchema,
  NonNegativeIntSchema,
  PositiveIntSchema,
  TimestampSchema,
  UnitIntervalSchema,
} from './common.ts';
import { phaseEvent, taskEvent } from './event-envelope.ts';
import { RETRY_STRATEGIES } from './task-events.ts';

/** `attempt` in phase events is the gate attempt (1-based), not a task attempt. */
const attempt = PositiveIntSchema;

export const PhaseStartedEvent = phaseEvent(
  'phase.started',
  z.strictObject({
    attempt,
    agents: z.array(AgentIdSchema),
    budgets: BudgetsSchema,
    timeboxMs: NonNegativeIntSchema,
  }),
);

/** Throttled roll-up of task heartbeats (heartbeats themselves are not events; see heartbeat.ts). */
export const PhaseProgressEvent = phaseEvent(
  'phase.progress',
  z.strictObject({
    attempt,
    stage: z.enum(PHASE_STAGES),
    pct: z.number().min(0).max(100),
    tasksDone: NonNegativeIntSchema,
    tasksTotal: NonNegativeIntSchema,
    eta: TimestampSchema.optional(),
    usage: UsageSchema.optional(),
  }),
);

export const PhaseAgentCompleteEvent = phaseEvent(
  'phase.agent.complete',
  z.strictObject({
    attempt,
    agentId: AgentIdSchema,
    taskId: IdSchema,
    model: z.string().min(1).describe('<provider>:<model> that produced the output.'),
    artifactIds: z.array(IdSchema),
    durationMs: NonNegativeIntSchema,
    usage: UsageSchema,
  }),
);

export const PhaseReadyEvent = phaseEvent(
  'phase.ready',
  z.strictObject({ attempt, evidencePackId: IdSchema }),
);

export const PhaseGatePassedEvent = phaseEvent(
  'phase.gate.passed',
  z.strictObject({
    attempt,
    score: UnitIntervalSchema,
    evidencePackId: IdSchema,
    waiversApplied: z.array(IdSchema),
  }),
);

export const PhaseGateFailedEvent = phaseEvent(
  'phase.gate.failed',
  z.strictObject({
    attempt,
    score: UnitIntervalSchema,
    evidencePackId: IdSchema,
    reasons: z.array(z.string()).min(1),
    failedRubrics: z.array(z.string()),
    hints: z.array(z.string()),
    /** False when this was the last allowed attempt (max_gate_attempts). */
    willRetry: z.boolean(),
  }),
);

/** A person waived one rubric of the phase (`ideamine waive`); the gate applies it while it is active and unexpired. */
export const PhaseWaiverGrantedEvent = phaseEvent(
  'phase.waiver.granted',
  z.strictObject({
    waiverId: IdSchema,
    phase: z.string().min(1),
    rubric: z.string().min(1),
    owner: z.string().min(1),
    reason: z.string().min(1),
    compensatingControl: z.string().min(1),
    expiresAt: TimestampSchema,
  }),
);

/** A task of the phase missed `stall_threshold_heartbeats` heartbeats; the envelope names the task. */
export const PhaseStalledEvent = taskEvent(
  'phase.stalled',
  z.strictObject({
    taskAttempt: PositiveIntSchema,
    missedHeartbeats: NonNegativeIntSchema,
    lastHeartbeatAt: TimestampSchema.nullable(),
    strategy: z.enum(RETRY_STRATEGIES).describe('The unsticker strategy the supervisor chose.'),
    reason: z
      .enum(['no-heartbeat', 'no-progress', 'loop'])
      .describe(
        'no-heartbeat: liveness; no-progress: heartbeats but progress did not move; loop: a repeating trail.',
      ),
  }),
);

export const PhaseErrorEvent = phaseEvent(
  'phase.error',
  z.strictObject({
    attempt,
    stage: z.enum(PHASE_STAGES),
    error: ErrorSummarySchema,
    willRetry: z.boolean(),
  }),
);

export const PhaseCompleteEvent = phaseEvent(
  'phase.complete',
  z.strictObject({
    attempts: PositiveIntSchema.describe('Gate attempts it took.'),
    outcome: z.enum(['passed', 'failed', 'skipped']),
    durationMs: NonNegativeIntSchema,
    usage: UsageSchema,
    evidencePackId: IdSchema.optional(),
  }),
);

export const PhasePausedEvent = phaseEvent(
  'phase.paused',
  z.strictObject({
    attempt,
    reason: z.enum(['signal', 'budget', 'timebox', 'run']),
    detail: z.string().optional(),
  }),
);

/** A failed gate sends the phase round again with auto-fix hints (loop-until-pass). */
export const PhaseRetryEvent = phaseEvent(
  'phase.retry',
  z.strictObject({
    attempt: attempt.describe('The attempt about to start.'),
    maxAttempts: PositiveIntSchema,
    reasons: z.array(z.string()),
    hints: z.array(z.string()),
  }),
);

/** An abandoned phase undid what its steps registered, in reverse order (sagas). */
export const PhaseCompensatedEvent = phaseEvent(
  'phase.compensated',
  z.strictObject({
    actions: z
      .array(
        z.strictObject({
          stepKey: z.string().min(1),
          action: z.string().min(1),
          affected: NonNegativeIntSchema,
        }),
      )
      .min(1),
  }),
);

/** The Apply stage committed code an agent wrote into the run's workspace. */
export const PhaseWorkspaceCommitEvent = phaseEvent(
  'phase.workspace.commit',
  z.strictObject({
    attempt,
    sha: z.string().regex(/^[0-9a-f]{40,64}$/),
    artifactId: IdSchema,
    agent: z.string().min(1),
    files: NonNegativeIntSchema,
  }),
);

/** The Measure stage ran a tool on the workspace; its reports are stored as tool artifacts. */
export const PhaseToolCompleteEvent = phaseEvent(
  'phase.tool.complete',
  z.strictObject({
    attempt,
    tool: z.string().min(1).describe('id@version'),
    exitCode: z.number().int().nullable(),
    durationMs: z.number().min(0),
    timedOut: z.boolean(),
    sandbox: z.string(),
    reports: z.array(z.string()),
  }),
);

/**
 * A measure tool ran but produced no report (it crashed, timed out, or its output was unreadable): its
 * metrics stay unmeasured and their rubrics fail closed with this error as the reason.
 */
export const PhaseToolFailedEvent = phaseEvent(
  'phase.tool.failed',
  z.strictObject({
    attempt,
    tool: z.string().min(1).describe('id@version, or the id when the version was never resolved'),
    error: z.string(),
  }),
);

export const PHASE_EVENTS = [
  PhaseWorkspaceCommitEvent,
  PhaseToolCompleteEvent,
  PhaseToolFailedEvent,
  PhaseCompensatedEvent,
  PhaseStartedEvent,
  PhaseProgressEvent,
  PhaseAgentCompleteEvent,
  PhaseReadyEvent,
  PhaseGatePassedEvent,
  PhaseGateFailedEvent,
  PhaseWaiverGrantedEvent,
  PhaseStalledEvent,
  PhaseErrorEvent,
  PhaseCompleteEvent,
  PhasePausedEvent,
  PhaseRetryEvent,
] as const;
