import { z } from 'zod';
import { IdSchema, PhaseNameSchema, TimestampSchema } from './common.ts';
import { contract } from './registry.ts';

export const WAIVER_STATUSES = ['active', 'revoked'] as const;
export type WaiverStatus = (typeof WAIVER_STATUSES)[number];

/**
 * A rare, accountable exception to a rubric. A waiver only counts when the phase config lists its
 * violation type in `waivers_allowed`, it is active, and `expiresAt` is in the future: expiry is
 * computed at evaluation time, never stored as a status, so a stale row cannot keep a gate open.
 */
export const WaiverSchema = contract(
  z.strictObject({
    id: IdSchema,
    runId: IdSchema,
    phase: PhaseNameSchema,
    violationType: z.string().min(1).describe('The rubric name it covers, e.g. critical_cves_max.'),
    owner: z.string().min(1),
    expiresAt: TimestampSchema,
    compensatingControl: z.string().min(1),
    reason: z.string().optional(),
    status: z.enum(WAIVER_STATUSES),
    createdAt: TimestampSchema,
  }),
  'schema.waiver.v1',
  'Waiver',
  'An owned, expiring exception to one rubric of one phase, with a compensating control.',
);
export type Waiver = z.infer<typeof WaiverSchema>;

/** True when the waiver may be applied at `nowMs`. */
export function isWaiverEffective(waiver: Pick<Waiver, 'status' | 'expiresAt'>, nowMs: number): boolean {
  return waiver.status === 'active' && Date.parse(waiver.expiresAt) > nowMs;
}
