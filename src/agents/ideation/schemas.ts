import { z } from 'zod';
import { Id, IdList, Text } from '../shared/schemas.ts';

export const UseCase = z.object({
  id: Id,
  title: Text,
  /** Persona id (P1...) of the main actor. */
  actor: Id,
  /** IdeaSpec goals this use case delivers. */
  goalIds: IdList,
  feature: z.string().optional(),
  steps: z.array(Text).min(1),
  outcome: Text,
});
export type UseCase = z.infer<typeof UseCase>;

export const ProductStrategy = z.object({
  vision: Text,
  positioning: Text,
  northStar: Text,
  differentiators: z.array(Text),
  useCases: z.array(UseCase).min(1),
});
export type ProductStrategy = z.infer<typeof ProductStrategy>;

export const CompetitiveAnalysis = z.object({
  competitors: z
    .array(
      z.object({
        name: Text,
        kind: z.enum(['direct', 'indirect', 'substitute']),
        strengths: z.array(Text),
        weaknesses: z.array(Text),
      }),
    )
    .min(1),
  marketGaps: z.array(Text),
  differentiators: z.array(Text),
});
export type CompetitiveAnalysis = z.infer<typeof CompetitiveAnalysis>;

export const Dependency = z.object({
  name: z.string().min(1),
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
  license: z.string().min(1),
  purpose: Text,
  scope: z.enum(['runtime', 'dev']),
});
export type Dependency = z.infer<typeof Dependency>;

export const TechStack = z.object({
  choices: z.array(z.object({ layer: z.string().min(1), choice: Text, rationale: Text })).min(1),
  dependencies: z.array(Dependency).min(1),
});
export type TechStack = z.infer<typeof TechStack>;

export const Persona = z.object({
  id: Id,
  name: Text,
  role: Text,
  description: Text,
  goals: z.array(Text).min(1),
  pains: z.array(Text).min(1),
  useCaseIds: IdList,
});
export type Persona = z.infer<typeof Persona>;

export const Personas = z.object({ personas: z.array(Persona) });
export type Personas = z.infer<typeof Personas>;
