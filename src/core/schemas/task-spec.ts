import { z } from 'zod';
import { BudgetsSchema } from './budgets.ts';
import {
  IdSchema,
  NonNegativeIntSchema,
  PhaseNameSchema,
  PositiveIntSchema,
  Sha256Schema,
} from './common.ts';
import { contract } from './registry.ts';

/** `agent` runs an agent definition, `tool` a versioned tool, `system` an engine-internal handler. */
export const TASK_KINDS = ['agent', 'tool', 'system'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export const ShardSchema = z
  .strictObject({
    index: NonNegativeIntSchema,
    count: PositiveIntSchema,
    key: z.string().optional().describe('What the shard covers, e.g. a story or module id.'),
  })
  .refine((shard) => shard.index < shard.count, {
    message: 'shard index must be below count',
    path: ['index'],
  });
export type Shard = z.infer<typeof ShardSchema>;

/**
 * One unit of work on the queue. `idempotenceKey` is sha256(phase + canonical input + agent or tool
 * version): enqueuing the same work twice returns the first task instead of doing it again.
 */
export const TaskSpecSchema = contract(
  z.strictObject({
    id: IdSchema,
    runId: IdSchema,
    phase: PhaseNameSchema,
    kind: z.enum(TASK_KINDS),
    target: z.string().min(1).describe('Agent id (intake.classifier), tool id@version, or system handler.'),
    input: z.record(z.string(), z.unknown()),
    budget: BudgetsSchema,
    idempotenceKey: Sha256Schema,
    priority: z.int().describe('Higher runs first.'),
    maxAttempts: PositiveIntSchema,
    timeoutMs: PositiveIntSchema.optional(),
    shard: ShardSchema.optional(),
  }),
  'schema.phase.taskspec.v1',
  'TaskSpec',
  'A unit of work for a worker: which agent or tool, on what input, within which budget.',
);
export type TaskSpec = z.infer<typeof TaskSpecSchema>;
