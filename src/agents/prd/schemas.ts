import { z } from 'zod';
import { Id, IdList, Text } from '../shared/schemas.ts';

/** Given / When / Then, with "then" named `expected` (an object with a `then` key looks like a promise). */
export const AcceptanceCriterion = z.object({ id: Id, given: Text, when: Text, expected: Text });
export type AcceptanceCriterion = z.infer<typeof AcceptanceCriterion>;

export const UserStory = z.object({
  id: Id,
  title: Text,
  useCaseId: Id.optional(),
  /** Persona id. */
  persona: Id,
  asA: Text,
  iWant: Text,
  soThat: Text,
  requirementIds: IdList,
  priority: z.enum(['must', 'should', 'could']),
  acceptanceCriteria: z.array(AcceptanceCriterion),
});
export type UserStory = z.infer<typeof UserStory>;

export const UserStories = z.object({ stories: z.array(UserStory).min(1) });
export type UserStories = z.infer<typeof UserStories>;

export const Requirement = z.object({
  id: Id,
  statement: Text,
  priority: z.enum(['must', 'should', 'could']),
  goalIds: IdList,
  storyIds: IdList,
});
export type Requirement = z.infer<typeof Requirement>;

export const PRD = z.object({
  title: Text,
  summary: Text,
  problem: Text,
  requirements: z.array(Requirement).min(1),
  successMetrics: z.array(Text).min(1),
  outOfScope: z.array(Text),
  releaseScope: Text,
});
export type PRD = z.infer<typeof PRD>;

export const UxFlows = z.object({
  flows: z
    .array(
      z.object({
        id: Id,
        name: Text,
        persona: Id,
        storyIds: IdList,
        steps: z.array(z.object({ screen: Text, action: Text, result: Text })).min(1),
      }),
    )
    .min(1),
});
export type UxFlows = z.infer<typeof UxFlows>;

export const NfrCategory = z.enum([
  'performance',
  'availability',
  'security',
  'privacy',
  'accessibility',
  'scalability',
  'observability',
  'compliance',
]);

export const NFRs = z.object({
  nfrs: z.array(
    z.object({ id: Id, category: NfrCategory, statement: Text, target: Text, measurement: Text }),
  ),
});
export type NFRs = z.infer<typeof NFRs>;

/** Requirements traceability matrix: requirement → stories → tests. */
export const RTM = z.object({
  rows: z.array(z.object({ requirementId: Id, requirement: Text, storyIds: IdList, testIds: IdList })).min(1),
});
export type RTM = z.infer<typeof RTM>;
