import { z } from 'zod';
import { Id, IdList, Text } from '../shared/schemas.ts';

const Share = z.number().min(0).max(1);

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

export const CoverageReport = z.object({
  tool: z.string().min(1),
  /** Shares of 0..1. */
  lines: Share,
  branches: Share,
  functions: Share,
  modules: z.array(z.object({ moduleId: Id, lines: Share })),
  requirementsWithTests: Share,
});
export type CoverageReport = z.infer<typeof CoverageReport>;

export const E2eSuite = z.object({
  flows: z.array(
    z.object({ id: Id, uxFlowId: Id, name: Text, storyIds: IdList, steps: z.array(Text).min(1) }),
  ),
});
export type E2eSuite = z.infer<typeof E2eSuite>;

export const PerfReport = z.object({
  tool: z.string().min(1),
  /** Lower is better for every budget: measured ≤ target meets it. */
  budgets: z
    .array(
      z.object({
        name: Text,
        target: z.number().positive(),
        measured: z.number().min(0),
        unit: z.string().min(1),
      }),
    )
    .min(1),
});
export type PerfReport = z.infer<typeof PerfReport>;
