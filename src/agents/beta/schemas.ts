import { z } from 'zod';
import { Id, IdList, Text } from '../shared/schemas.ts';

export const BetaPlan = z.object({
  cohorts: z
    .array(z.object({ name: Text, personaId: Id, size: z.number().int().min(0), criteria: Text }))
    .min(1),
  durationWeeks: z.number().int().positive(),
  exitCriteria: z.array(Text).min(1),
});
export type BetaPlan = z.infer<typeof BetaPlan>;

export const TelemetryPlan = z.object({
  events: z.array(
    z.object({
      name: z.string().regex(/^[a-z][a-z0-9_]*$/),
      trigger: Text,
      properties: z.array(z.string().min(1)),
      storyIds: IdList,
    }),
  ),
  privacy: Text,
});
export type TelemetryPlan = z.infer<typeof TelemetryPlan>;

export const FeedbackPlan = z.object({
  channels: z.array(Text).min(1),
  survey: z.array(z.object({ question: Text, scale: z.enum(['nps', '1-5', 'yes-no', 'free-text']) })).min(1),
  themes: z.array(z.object({ theme: Text, signal: Text })),
  successCriteria: z.array(Text).min(1),
});
export type FeedbackPlan = z.infer<typeof FeedbackPlan>;
