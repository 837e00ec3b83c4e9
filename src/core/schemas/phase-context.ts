import { z } from 'zod';
import { ArtifactRefSchema } from './artifact-ref.ts';
import { BudgetsSchema } from './budgets.ts';
import {
  IdSchema,
  IsoDurationSchema,
  PhaseNameSchema,
  PositiveIntSchema,
  Sha256Schema,
  TimestampSchema,
} from './common.ts';
import { IdeaSchema } from './idea.ts';
import { contract } from './registry.ts';
import { RubricsSchema } from './rubric.ts';

/**
 * What a phase coordinator is started with: the run's idea and the upstream artifacts it may read,
 * its budgets, rubrics and timebox, and on a retried gate attempt the auto-fix hints from the failed
 * gate. Everything else comes from the phase plan.
 */
export const PhaseContextSchema = contract(
  z.strictObject({
    runId: IdSchema,
    phase: PhaseNameSchema,
    attempt: PositiveIntSchema,
    inputs: z.strictObject({
      idea: IdeaSchema,
      artifacts: z.array(ArtifactRefSchema).describe('Artifacts of the phases this one depends on.'),
    }),
    budgets: BudgetsSchema,
    rubrics: RubricsSchema,
    timebox: IsoDurationSchema,
    deadline: TimestampSchema.optional().describe('When the timebox runs out for this attempt.'),
    hints: z.array(z.string()).describe('Auto-fix hints from the previous failed gate; empty at first.'),
    planHash: Sha256Schema.optional(),
  }),
  'schema.phase.context.v1',
  'PhaseContext',
  'The input contract of every phase coordinator.',
);
export type PhaseContext = z.infer<typeof PhaseContextSchema>;
