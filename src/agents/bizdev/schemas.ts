import { z } from 'zod';
import { Id, Text } from '../shared/schemas.ts';

export const RevenueModel = z.enum(['subscription', 'commission', 'freemium', 'usage']);

export const PricingModel = z.object({
  model: RevenueModel,
  currency: z.literal('USD'),
  tiers: z
    .array(
      z.object({
        name: z.string().min(1),
        priceUsdMonthly: z.number().min(0),
        /** Share of each transaction kept, for commission models. */
        commissionPct: z.number().min(0).max(100).optional(),
        includes: z.array(Text).min(1),
      }),
    )
    .min(1),
  rationale: Text,
});
export type PricingModel = z.infer<typeof PricingModel>;

export const GoToMarketPlan = z.object({
  segments: z.array(z.object({ name: Text, personaId: Id.optional(), why: Text })).min(1),
  channels: z.array(z.object({ name: Text, cacUsd: z.number().min(0), rationale: Text })).min(1),
  launchPhases: z.array(z.object({ name: Text, weeks: z.number().int().positive(), goal: Text })).min(1),
  messaging: Text,
});
export type GoToMarketPlan = z.infer<typeof GoToMarketPlan>;

export const BusinessModel = z.object({
  revenueStreams: z.array(Text).min(1),
  unitEconomics: z.object({
    arpuUsdMonthly: z.number().min(0),
    cacUsd: z.number().min(0),
    grossMarginPct: z.number().min(0).max(100),
    monthlyChurnPct: z.number().gt(0).max(100),
    /** As the agent computed them; the guard recomputes from the inputs above. */
    ltvUsd: z.number().min(0),
    paybackMonths: z.number().min(0),
  }),
  assumptions: z.array(Text),
});
export type BusinessModel = z.infer<typeof BusinessModel>;

export const PartnershipPlan = z.object({
  partners: z.array(
    z.object({
      name: Text,
      type: z.enum(['integration', 'distribution', 'supplier', 'compliance']),
      value: Text,
      priority: z.enum(['now', 'next', 'later']),
    }),
  ),
});
export type PartnershipPlan = z.infer<typeof PartnershipPlan>;
