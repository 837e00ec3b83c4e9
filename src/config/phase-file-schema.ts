import { z } from 'zod';
import { AgentIdSchema, IsoDurationSchema, PhaseNameSchema, ToolIdSchema } from '../core/schemas/common.ts';
import { AGGREGATIONS, PARALLELISM_MODES } from '../core/schemas/phase-plan.ts';
import { RubricNameSchema, rubricThresholdProblem } from '../core/schemas/rubric.ts';
import { describeValue } from './config-problems.ts';

/**
 * The shape of `config/phases/<phase>.yaml`, field names as written in YAML (snake_case). Every
 * object is strict: a misspelt field is an error, not a silently ignored line.
 */

const count = z.int().min(0);
const positive = z.int().min(1);
const ratio = z.number().min(0).max(1);

const agentEntry = z.union([
  AgentIdSchema,
  z.strictObject({
    id: AgentIdSchema,
    model: z.string().min(1).optional(),
    temperature: z.number().min(0).max(2).optional(),
    max_output_tokens: positive.optional(),
  }),
]);
export type AgentEntryYaml = z.infer<typeof agentEntry>;

const budgets = z.strictObject({
  tokens: count,
  tools_minutes: z.number().min(0),
  gpu_hours: z.number().min(0),
  usd: z.number().min(0),
});

const refinery = z.strictObject({ fission_min_coverage: ratio, fusion_min_consensus: ratio });

/** Thresholds are checked against the kind in the rubric's name, so `ambiguity_max: high` fails. */
const rubrics = z.record(RubricNameSchema, z.unknown()).superRefine((value, ctx) => {
  for (const [name, threshold] of Object.entries(value)) {
    const problem = rubricThresholdProblem(name, threshold);
    if (problem)
      ctx.addIssue({ code: 'custom', path: [name], message: `${problem}, got ${describeValue(threshold)}` });
  }
});

const parallelism = z.union([z.enum(PARALLELISM_MODES), positive], {
  error: `expected ${PARALLELISM_MODES.map((m) => `"${m}"`).join(', ')} or a positive integer`,
});

const timebox = IsoDurationSchema;

const phaseFileShape = {
  phase: PhaseNameSchema,
  description: z.string().optional(),
  depends_on: z.array(PhaseNameSchema),
  parallelism,
  agents: z.array(agentEntry).min(1),
  /** The model for this phase's agents that name none themselves (`offline` or `<provider>:<model>`). */
  model: z
    .string()
    .regex(/^(offline|[a-z][a-z0-9-]*:\S+)$/, 'expected "offline" or "<provider>:<model>"')
    .optional(),
  aggregation: z.enum(AGGREGATIONS),
  budgets,
  rubrics,
  allowlisted_tools: z.array(ToolIdSchema),
  /** Tools the phase runs on the run's workspace after its agents, every gate attempt (each must be allowlisted). */
  measure: z.array(ToolIdSchema).optional(),
  /** Rubric metrics taken only from a tool report; an agent-written figure for them is refused. */
  measured_metrics: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a metric name')).optional(),
  heartbeat_seconds: positive,
  stall_threshold_heartbeats: positive,
  refinery,
  timebox,
  max_gate_attempts: positive,
  waivers_allowed: z.array(z.string().min(1)).optional(),
  required_evidence: z.array(z.string().min(1)).optional(),
};

/** A complete phase definition: every builtin file, and a user file that adds a new phase. */
export const PhaseFileSchema = z.strictObject(phaseFileShape);
export type PhaseFile = z.infer<typeof PhaseFileSchema>;

/**
 * A user file overriding a builtin phase: any subset of fields. Mappings (budgets, refinery,
 * rubrics) merge key by key with the builtin; lists (agents, depends_on...) replace it.
 */
export const PhaseOverrideSchema = z
  .strictObject({
    ...phaseFileShape,
    budgets: budgets.partial(),
    refinery: refinery.partial(),
  })
  .partial();
