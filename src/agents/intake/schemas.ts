import { z } from 'zod';
import { Id, Text } from '../shared/schemas.ts';

export const IdeaClassification = z.object({
  domain: z.string().min(1),
  domainLabel: Text,
  productType: z.string().min(1),
  subject: Text,
  audience: Text,
  keywords: z.array(z.string()),
  complexity: z.enum(['low', 'medium', 'high']),
  regulated: z.boolean(),
  compliance: z.array(Text),
});
export type IdeaClassification = z.infer<typeof IdeaClassification>;

export const Goal = z.object({
  id: Id,
  statement: Text,
  /** How success is measured. */
  metric: Text,
  /** The feature it comes from, when known. */
  feature: z.string().optional(),
});
export type Goal = z.infer<typeof Goal>;

export const Blocker = z.object({ id: Id, description: Text, resolved: z.boolean() });
export type Blocker = z.infer<typeof Blocker>;

export const IdeaSpec = z.object({
  title: Text,
  summary: Text,
  problem: Text,
  users: z.array(z.object({ id: Id, name: Text, need: Text })).min(1),
  goals: z.array(Goal).min(1),
  constraints: z.array(Text),
  assumptions: z.array(z.object({ id: Id, statement: Text, mitigation: Text })),
  feasibility: z.object({ feasible: z.boolean(), rationale: Text, risks: z.array(Text) }),
  /** Statements that could be read two ways; resolved ones carry the assumption that settles them. */
  ambiguities: z.array(z.object({ id: Id, statement: Text, resolution: Text.optional() })),
  blockers: z.array(Blocker),
  outOfScope: z.array(Text),
});
export type IdeaSpec = z.infer<typeof IdeaSpec>;

export const IdeaValidation = z.object({
  verdict: z.enum(['go', 'go-with-risks', 'no-go']),
  feasible: z.boolean(),
  checks: z.array(z.object({ name: z.string().min(1), passed: z.boolean(), note: Text })).min(1),
  blockers: z.array(Blocker),
});
export type IdeaValidation = z.infer<typeof IdeaValidation>;
