import type { AgentInput } from '../../core/agent.ts';
import { readArtifact } from '../shared/artifacts.ts';
import { defineAgent } from '../shared/define.ts';
import { type IdeaProfile, profileIdea } from '../shared/profile.ts';
import { seeded } from '../shared/seed.ts';
import { capitalize } from '../shared/text.ts';
import {
  BusinessModel,
  type BusinessModel as BusinessModelType,
  GoToMarketPlan,
  PartnershipPlan,
  PricingModel,
} from './schemas.ts';

const UPSTREAM = ['IdeaSpec', 'ProductStrategy', 'CompetitiveAnalysis', 'Personas', 'RiskRegister', 'PRD'];

type Tier = PricingModel['tiers'][number];

function tiersFor(p: IdeaProfile, base: number, take: number): Tier[] {
  const core = p.features.slice(0, 2).map((f) => f.name);
  const extra = p.features.slice(2).map((f) => f.name);
  if (p.domain.revenue === 'commission') {
    return [
      { name: `Free for ${p.buyer}s`, priceUsdMonthly: 0, includes: core },
      {
        name: `${capitalize(p.seller)} commission`,
        priceUsdMonthly: 0,
        commissionPct: take,
        includes: ['Payouts', ...extra.slice(0, 2)],
      },
      {
        name: `Pro ${p.seller}`,
        priceUsdMonthly: base * 2,
        commissionPct: 8,
        includes: ['Lower commission', 'Featured placement'],
      },
    ];
  }
  if (p.domain.revenue === 'usage') {
    return [
      { name: 'Free', priceUsdMonthly: 0, includes: [...core, '500 runs a month'] },
      { name: 'Team', priceUsdMonthly: base * 3, includes: ['10,000 runs a month', ...extra] },
      {
        name: 'Enterprise',
        priceUsdMonthly: base * 20,
        includes: ['SSO', 'Audit log export', 'Support SLA'],
      },
    ];
  }
  const freemium = p.domain.revenue === 'freemium';
  return [
    { name: freemium ? 'Free' : 'Starter', priceUsdMonthly: freemium ? 0 : base, includes: core },
    { name: 'Pro', priceUsdMonthly: base * 2, includes: [...core, ...extra] },
    {
      name: 'Business',
      priceUsdMonthly: base * 5,
      includes: ['Admin controls', 'Priority support', ...p.domain.compliance.slice(0, 1)],
    },
  ];
}

function derivePricing(p: IdeaProfile): PricingModel {
  const rng = seeded(p.fingerprint, 'pricing');
  const rationale: Record<PricingModel['model'], string> = {
    commission: `${capitalize(p.buyer)}s pay nothing up front; ${p.seller}s pay only when a transaction completes.`,
    usage: `Price follows the value ${p.audience} get: runs.`,
    subscription: `Entry price below what ${p.audience} spend today on ${p.domain.competitors[0]}.`,
    freemium: `Free entry for ${p.audience}; paid tiers below the cost of ${p.domain.competitors[0]}.`,
  };
  return {
    model: p.domain.revenue,
    currency: 'USD',
    tiers: tiersFor(p, rng.pick('base', [6, 8, 10, 12]), rng.int('take', 10, 15)),
    rationale: rationale[p.domain.revenue],
  };
}

export const pricing = defineAgent({
  id: 'bizdev.pricing',
  purpose: 'Pricing model and tiers, anchored on what the audience pays for alternatives today.',
  reads: UPSTREAM,
  produces: 'PricingModel',
  role: 'You are a pricing strategist. You pick the revenue model the domain expects and tiers that map to features users value.',
  task: 'Design the pricing model and tiers for the idea.',
  rules: [
    'Prices in USD per month; commission as a percentage.',
    'Each tier lists the features it includes by name.',
  ],
  outputSchema: PricingModel,
  offline: (input) => derivePricing(profileIdea(input.idea)),
});

const CHANNELS: Record<string, [string, number][]> = {
  marketplace: [
    ['Seed supply by hand in one city', 60],
    ['Local SEO landing pages', 18],
    ['Community partnerships', 25],
  ],
  productivity: [
    ['Product-led growth with invites', 8],
    ['Template gallery SEO', 12],
    ['Integration marketplaces', 20],
  ],
  health: [
    ['Pilot with two clinics', 120],
    ['Clinical conferences', 90],
    ['Referral from care networks', 60],
  ],
  devtools: [
    ['Open-source CLI', 10],
    ['Developer content', 20],
    ['Marketplace listing in CI vendors', 25],
  ],
};

export const gtm = defineAgent({
  id: 'bizdev.gtm',
  purpose: 'Go-to-market plan: segments, channels with acquisition cost, launch phases and messaging.',
  reads: UPSTREAM,
  produces: 'GoToMarketPlan',
  role: 'You are a go-to-market lead. You start with the narrowest segment that has the pain and choose channels you can afford.',
  task: 'Write the go-to-market plan for the idea.',
  rules: [
    'Every channel has an estimated acquisition cost (cacUsd).',
    'Segments map to persona ids where possible.',
  ],
  outputSchema: GoToMarketPlan,
  offline(input) {
    const p = profileIdea(input.idea);
    const channels = CHANNELS[p.domain.key] ?? [
      ['Content marketing', 20],
      ['Referral program', 15],
      ['Paid search', 45],
    ];
    return {
      segments: p.roles
        .slice(0, 2)
        .map((r) => ({ name: `${r.name}s among ${p.audience}`, personaId: r.id, why: capitalize(r.focus) })),
      channels: channels.map(([name, cacUsd]) => ({
        name,
        cacUsd,
        rationale: `Reaches ${p.audience} where they already look for ${p.subjects}.`,
      })),
      launchPhases: [
        { name: 'Private beta', weeks: 6, goal: 'Week-2 retention above 40%' },
        { name: 'Public launch', weeks: 8, goal: capitalize(p.domain.northStar) },
      ],
      messaging: `${p.title}: ${p.features[0]?.name.toLowerCase() ?? p.subject} for ${p.audience}, without the overhead of ${p.domain.competitors[0]}.`,
    };
  },
});

function economics(input: AgentInput, p: IdeaProfile): BusinessModelType['unitEconomics'] {
  const rng = seeded(p.fingerprint, 'unit-economics');
  const price = readArtifact(input, 'PricingModel', PricingModel) ?? derivePricing(p);
  const plan = readArtifact(input, 'GoToMarketPlan', GoToMarketPlan);
  const paid = price.tiers.filter((t) => t.priceUsdMonthly > 0);
  // Freemium: about half of the accounts never leave the free tier (stated in `assumptions`).
  const blend = price.model === 'freemium' ? 2 : 1;
  const arpu =
    paid.length > 0
      ? paid.reduce((sum, t) => sum + t.priceUsdMonthly, 0) / paid.length / blend
      : rng.int('arpu', 9, 14);
  const cacs = plan?.channels.map((c) => c.cacUsd) ?? [rng.int('cac', 15, 40)];
  const cac = cacs.reduce((a, b) => a + b, 0) / cacs.length;
  const margin = rng.int('margin', 72, 84);
  const churn = rng.float('churn', 2.5, 4.5, 1);
  const monthlyProfit = (arpu * margin) / 100;
  return {
    arpuUsdMonthly: Math.round(arpu * 100) / 100,
    cacUsd: Math.round(cac * 100) / 100,
    grossMarginPct: margin,
    monthlyChurnPct: churn,
    ltvUsd: Math.round((monthlyProfit / (churn / 100)) * 100) / 100,
    paybackMonths: Math.round((cac / monthlyProfit) * 10) / 10,
  };
}

export const unitEconomics = defineAgent({
  id: 'bizdev.unit-economics',
  purpose: 'Business model and unit economics: ARPU, CAC, gross margin, churn, LTV and payback.',
  reads: [...UPSTREAM, 'PricingModel', 'GoToMarketPlan'],
  produces: 'BusinessModel',
  tools: ['spreadsheet-calc'],
  role: 'You are a startup CFO. You derive unit economics from the pricing and channels, and state every assumption behind a number.',
  task: 'Model the business and its unit economics for the idea.',
  rules: [
    'LTV = ARPU × gross margin ÷ monthly churn; payback = CAC ÷ (ARPU × gross margin).',
    'Numbers must follow from the pricing and channel costs.',
  ],
  outputSchema: BusinessModel,
  offline(input) {
    const p = profileIdea(input.idea);
    const price = readArtifact(input, 'PricingModel', PricingModel) ?? derivePricing(p);
    return {
      revenueStreams: price.tiers
        .filter((t) => t.priceUsdMonthly > 0 || t.commissionPct !== undefined)
        .map((t) => `${t.name} (${price.model})`),
      unitEconomics: economics(input, p),
      assumptions: [
        price.model === 'freemium'
          ? `Half of the accounts of ${p.audience} stay on the free tier.`
          : 'Paying accounts spread evenly over the paid tiers.',
        'Churn measured on paying accounts only.',
      ],
    };
  },
});

export const partnerships = defineAgent({
  id: 'bizdev.partnerships',
  purpose: 'Partnerships: integrations, distribution, suppliers and compliance partners, prioritised.',
  reads: UPSTREAM,
  produces: 'PartnershipPlan',
  role: 'You are a business development lead. You pick the few partners that remove a launch risk or open a channel.',
  task: 'List the partnerships the idea needs, in priority order.',
  rules: ['Each partner says what value it brings and when (now, next, later).'],
  outputSchema: PartnershipPlan,
  offline(input) {
    const p = profileIdea(input.idea);
    const partners: PartnershipPlan['partners'] = [
      {
        name: `Import from ${p.domain.competitors[0]}`,
        type: 'integration',
        value: 'Removes switching cost',
        priority: 'now',
      },
      {
        name: `Associations of ${p.audience}`,
        type: 'distribution',
        value: 'Trusted channel to the first segment',
        priority: 'next',
      },
    ];
    if (p.features.some((f) => f.key === 'payments') || p.domain.revenue === 'commission') {
      partners.push({
        name: 'Payment provider with marketplace payouts',
        type: 'supplier',
        value: 'Keeps card data out of scope',
        priority: 'now',
      });
    }
    for (const c of p.domain.compliance.slice(0, 1)) {
      partners.push({
        name: `${c} compliance auditor`,
        type: 'compliance',
        value: 'Independent evidence for buyers',
        priority: 'later',
      });
    }
    return { partners };
  },
});

export const bizdevAgents = [pricing, gtm, unitEconomics, partnerships] as const;
