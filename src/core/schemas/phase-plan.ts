import { z } from 'zod';
import { BudgetsSchema } from './budgets.ts';
import {
  AgentIdSchema,
  IsoDurationSchema,
  NonNegativeIntSchema,
  PhaseNameSchema,
  PositiveIntSchema,
  Sha256Schema,
  ToolIdSchema,
  UnitIntervalSchema,
} from './common.ts';
import { contract } from './registry.ts';
import { RubricsSchema } from './rubric.ts';

/**
 * How a phase runs its agents: one after another (`sequential`), up to N at once (an integer),
 * `partial` (agents whose inputs are ready run together, the rest wait for them) or `iterative`
 * (the agents loop as a group until the phase's done condition holds, as in the story loop).
 */
export const PARALLELISM_MODES = ['sequential', 'partial', 'iterative'] as const;
export const ParallelismSchema = z.union([z.enum(PARALLELISM_MODES), PositiveIntSchema]);
export type Parallelism = z.infer<typeof ParallelismSchema>;

/**
 * How agent outputs are combined at fan-in, always in agent-list order so the result does not depend
 * on completion order: `merge` (object merge), `concat` (list of outputs), `vote` (majority per
 * field), `custom` (the phase supplies its aggregator).
 */
export const AGGREGATIONS = ['merge', 'concat', 'vote', 'custom'] as const;
export const AggregationSchema = z.enum(AGGREGATIONS);
export type Aggregation = z.infer<typeof AggregationSchema>;

/** One agent of a phase, with optional per-agent model settings that override the run's. */
export const AgentAssignmentSchema = z.strictObject({
  id: AgentIdSchema,
  model: z.string().min(1).optional().describe('<provider>:<model>, e.g. openai:gpt-4.1-mini, or offline.'),
  temperature: z.number().min(0).max(2).optional(),
  maxOutputTokens: PositiveIntSchema.optional(),
});
export type AgentAssignment = z.infer<typeof AgentAssignmentSchema>;

/** Knowledge Refinery thresholds: fission coverage of claims and fusion consensus between frames. */
export const RefineryThresholdsSchema = z.strictObject({
  fissionMinCoverage: UnitIntervalSchema,
  fusionMinConsensus: UnitIntervalSchema,
});
export type RefineryThresholds = z.infer<typeof RefineryThresholdsSchema>;

/** The settings every phase plan carries, shared with the resolved phase config. */
export const phaseSettingsShape = {
  phase: PhaseNameSchema,
  dependsOn: z.array(PhaseNameSchema),
  parallelism: ParallelismSchema,
  aggregation: AggregationSchema,
  agents: z.array(AgentAssignmentSchema).min(1),
  budgets: BudgetsSchema,
  rubrics: RubricsSchema,
  allowlistedTools: z.array(ToolIdSchema),
  measure: z
    .array(ToolIdSchema)
    .describe(
      'Tools run on the workspace after the agents of every gate attempt; their reports are evidence.',
    ),
  measuredMetrics: z
    .array(z.string().min(1))
    .describe(
      'Metrics the gate takes only from a tool report (provenance source "tool"), never from an agent.',
    ),
  heartbeatSeconds: PositiveIntSchema,
  stallThresholdHeartbeats: PositiveIntSchema,
  refinery: RefineryThresholdsSchema,
  timebox: IsoDurationSchema,
  timeboxMs: NonNegativeIntSchema,
  maxGateAttempts: PositiveIntSchema,
  waiversAllowed: z.array(z.string().min(1)).describe('Rubric names a waiver may cover in this phase.'),
  requiredEvidence: z.array(z.string().min(1)).describe('Artifact types the evidence pack must contain.'),
};

/** The resolved settings of one phase (a loaded phase config, minus where it came from). */
export const PhaseSettingsSchema = z.strictObject(phaseSettingsShape);
export type PhaseSettings = z.infer<typeof PhaseSettingsSchema>;

/**
 * What one phase will do in a run, frozen when the run is planned so that a config edit mid-run
 * cannot change a phase that has started. `planHash` is sha256 over the canonical JSON of the other
 * fields.
 */
export const PhasePlanSchema = contract(
  z.strictObject({ ...phaseSettingsShape, planHash: Sha256Schema }),
  'schema.phase.plan.v1',
  'PhasePlan',
  'The frozen execution plan of one phase: agents, parallelism, budgets, rubrics, timebox, heartbeats.',
);
export type PhasePlan = z.infer<typeof PhasePlanSchema>;
