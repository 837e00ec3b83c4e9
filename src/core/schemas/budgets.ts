import { z } from 'zod';
import { NonNegativeIntSchema, NonNegativeSchema } from './common.ts';
import { contract } from './registry.ts';

/**
 * The four resources a phase is budgeted in. The same shape is used for limits (`Budgets`) and for
 * consumption (`Usage`) so that "is usage within budget" is a field-by-field comparison.
 */
const resourceShape = {
  tokens: NonNegativeIntSchema.describe('Model tokens, input plus output.'),
  toolsMinutes: NonNegativeSchema.describe('Wall-clock minutes spent inside tools.'),
  gpuHours: NonNegativeSchema.describe('GPU hours used by tools or self-hosted models.'),
  usd: NonNegativeSchema.describe('Money spent on paid models and services, in US dollars.'),
};

export const BudgetsSchema = contract(
  z.strictObject(resourceShape),
  'schema.budgets.v1',
  'Budgets',
  'Upper limits for one phase, one task or a whole run; exceeding any of them blocks further spending.',
);
export type Budgets = z.infer<typeof BudgetsSchema>;

export const UsageSchema = contract(
  z.strictObject(resourceShape),
  'schema.usage.v1',
  'Usage',
  'Resources actually consumed, in the same units as Budgets.',
);
export type Usage = z.infer<typeof UsageSchema>;

export const BUDGET_RESOURCES = ['tokens', 'toolsMinutes', 'gpuHours', 'usd'] as const;
export type BudgetResource = (typeof BUDGET_RESOURCES)[number];

export const ZERO_USAGE: Readonly<Usage> = Object.freeze({ tokens: 0, toolsMinutes: 0, gpuHours: 0, usd: 0 });

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    tokens: a.tokens + b.tokens,
    toolsMinutes: a.toolsMinutes + b.toolsMinutes,
    gpuHours: a.gpuHours + b.gpuHours,
    usd: a.usd + b.usd,
  };
}

/** The resources whose usage is above its budget, in a fixed order (empty when within budget). */
export function exceededResources(usage: Usage, budgets: Budgets): BudgetResource[] {
  return BUDGET_RESOURCES.filter((resource) => usage[resource] > budgets[resource]);
}
