import { z } from 'zod';
import { Id, IdList, Severity, Text } from '../shared/schemas.ts';

export const CritiqueFinding = z.object({
  id: Id,
  kind: z.enum(['contradiction', 'gap', 'abuse-case', 'weak-assumption']),
  severity: Severity,
  statement: Text,
  /** Ids of what it is about: goals, use cases, personas, assumptions. */
  refs: IdList,
  resolved: z.boolean(),
  resolution: Text.optional(),
});
export type CritiqueFinding = z.infer<typeof CritiqueFinding>;

export const RedTeamFindings = z.object({ findings: z.array(CritiqueFinding) });
export type RedTeamFindings = z.infer<typeof RedTeamFindings>;

export const Risk = z.object({
  id: Id,
  title: Text,
  category: z.enum(['market', 'technical', 'legal', 'operational', 'financial']),
  severity: z.enum(['critical', 'high', 'medium', 'low']),
  likelihood: z.enum(['high', 'medium', 'low']),
  /** Missing or empty: the risk is unmitigated. */
  mitigation: Text.optional(),
  owner: Text,
});
export type Risk = z.infer<typeof Risk>;

export const RiskRegister = z.object({ risks: z.array(Risk).min(1) });
export type RiskRegister = z.infer<typeof RiskRegister>;

export const AssumptionChallenges = z.object({
  challenges: z.array(
    z.object({
      id: Id,
      assumption: Text,
      challenge: Text,
      test: Text,
      verdict: z.enum(['holds', 'weak', 'invalid']),
    }),
  ),
  findings: z.array(CritiqueFinding),
});
export type AssumptionChallenges = z.infer<typeof AssumptionChallenges>;
