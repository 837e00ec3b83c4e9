import { z } from 'zod';
import { Id, IdList, Text } from '../shared/schemas.ts';

export const TestPlan = z.object({
  cases: z
    .array(
      z.object({
        id: Id,
        title: Text,
        level: z.enum(['unit', 'integration', 'e2e', 'performance', 'accessibility', 'security']),
        storyIds: IdList,
        requirementIds: IdList,
      }),
    )
    .min(1),
  environments: z.array(Text).min(1),
});
export type TestPlan = z.infer<typeof TestPlan>;

export const E2eSuite = z.object({
  flows: z.array(
    z.object({ id: Id, uxFlowId: Id, name: Text, storyIds: IdList, steps: z.array(Text).min(1) }),
  ),
});
export type E2eSuite = z.infer<typeof E2eSuite>;

/** Budgets to hold the release to; the measured values come from a load-test tool, not from here. */
export const PerfBudgets = z.object({
  /** Lower is better for every budget. */
  budgets: z
    .array(
      z.object({
        name: Text,
        target: z.number().positive(),
        unit: z.string().min(1),
      }),
    )
    .min(1),
});
export type PerfBudgets = z.infer<typeof PerfBudgets>;
