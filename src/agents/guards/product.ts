import { ADRs, ApiSpec, ArchitectureSpec } from '../architecture/schemas.ts';
import { BusinessModel, GoToMarketPlan, PartnershipPlan, PricingModel } from '../bizdev/schemas.ts';
import { NFRs, PRD, RTM, UserStories } from '../prd/schemas.ts';
import { findArtifact } from '../shared/artifacts.ts';
import { defineGuard, distinctCount, type GuardFinding, idOf, missing, ratio } from './guard.ts';

/** Guards of the product phases: prd, bizdev, architecture. */

export const prdGuard = defineGuard({
  phase: 'prd',
  metrics: ['traceability', 'acceptance_criteria_coverage', 'nfr_count'],
  measure(artifacts, findings) {
    const prd = findArtifact(artifacts, 'PRD', PRD);
    const rtm = findArtifact(artifacts, 'RTM', RTM);
    const stories = findArtifact(artifacts, 'UserStories', UserStories)?.stories;
    const nfrs = findArtifact(artifacts, 'NFRs', NFRs);
    if (prd === undefined) missing(findings, 'PRD', 'traceability is measured over its requirements');
    if (rtm === undefined) missing(findings, 'RTM', 'requirements cannot be traced');
    if (stories === undefined) missing(findings, 'UserStories', 'acceptance criteria cannot be counted');
    if (nfrs === undefined) missing(findings, 'NFRs', 'NFRs cannot be counted');
    const storyIds = new Set(stories?.map((s) => s.id) ?? []);
    const requirements = prd?.requirements ?? [];
    const traced = requirements.filter((req) => {
      const row = rtm?.rows.find((r) => r.requirementId === req.id);
      const realStories = row?.storyIds.filter((id) => stories === undefined || storyIds.has(id)) ?? [];
      const ok = realStories.length > 0 && (row?.testIds.length ?? 0) > 0;
      if (!ok)
        findings.push({
          severity: 'warning',
          message: `requirement ${req.id} lacks a story or a test in the RTM`,
          artifactId: idOf(artifacts, 'RTM'),
        });
      return ok;
    });
    const withCriteria = (stories ?? []).filter((s) => s.acceptanceCriteria.length > 0);
    for (const s of stories ?? []) {
      if (s.acceptanceCriteria.length === 0)
        findings.push({ severity: 'warning', message: `story ${s.id} has no acceptance criteria` });
    }
    return {
      traceability: ratio(traced.length, requirements.length),
      acceptance_criteria_coverage: ratio(withCriteria.length, stories?.length ?? 0),
      nfr_count: nfrs?.nfrs.length ?? 0,
    };
  },
});

/** LTV/CAC above this is reported as this: free acquisition has no finite ratio and JSON has no Infinity. */
export const LTV_CAC_CAP = 100;
/** Payback above this (a century) is reported as this: a zero gross profit never pays back. */
export const PAYBACK_CAP_MONTHS = 1_200;

export interface UnitEconomics {
  /** LTV ÷ CAC, with LTV = ARPU × margin ÷ monthly churn; capped at LTV_CAC_CAP. */
  ltvToCac: number;
  /** CAC ÷ monthly gross profit per account; capped at PAYBACK_CAP_MONTHS. */
  paybackMonths: number;
  grossMarginPct: number;
}

/** Recomputed from the model's inputs: the LTV and payback the agent wrote are never trusted. */
export function unitEconomicsOf(model: BusinessModel): UnitEconomics {
  const u = model.unitEconomics;
  const profit = (u.arpuUsdMonthly * u.grossMarginPct) / 100;
  const ltv = profit / (u.monthlyChurnPct / 100);
  const ltvToCac = u.cacUsd === 0 ? (ltv > 0 ? LTV_CAC_CAP : 0) : Math.min(LTV_CAC_CAP, ltv / u.cacUsd);
  const payback = u.cacUsd === 0 ? 0 : profit === 0 ? PAYBACK_CAP_MONTHS : u.cacUsd / profit;
  return {
    ltvToCac: round2(ltvToCac),
    paybackMonths: round2(Math.min(PAYBACK_CAP_MONTHS, payback)),
    grossMarginPct: u.grossMarginPct,
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * Viability in 0..1 from recomputed unit economics and the completeness of the plan. Weights:
 * LTV/CAC ≥ 3 → 0.3, gross margin ≥ 60% → 0.2, payback ≤ 12 months → 0.2, a paid tier → 0.1, two
 * channels → 0.1, a partner → 0.1.
 */
export function viabilityScore(
  model: BusinessModel | undefined,
  pricing: PricingModel | undefined,
  gtm: GoToMarketPlan | undefined,
  partners: PartnershipPlan | undefined,
  findings: GuardFinding[],
): number {
  let score = 0;
  if (model !== undefined) {
    const { ltvToCac, paybackMonths, grossMarginPct } = unitEconomicsOf(model);
    score +=
      0.3 * Math.min(1, ltvToCac / 3) +
      0.2 * Math.min(1, grossMarginPct / 60) +
      0.2 * Math.min(1, 12 / Math.max(paybackMonths, 1e-9));
    if (ltvToCac < 3)
      findings.push({ severity: 'warning', message: `LTV/CAC is ${ltvToCac.toFixed(2)} (< 3)` });
    if (paybackMonths > 12)
      findings.push({
        severity: 'warning',
        message: `CAC payback is ${paybackMonths.toFixed(1)} months (> 12)`,
      });
  } else {
    missing(findings, 'BusinessModel', 'unit economics carry most of the score');
  }
  if (pricing?.tiers.some((t) => t.priceUsdMonthly > 0 || (t.commissionPct ?? 0) > 0)) score += 0.1;
  if (distinctCount(gtm?.channels.map((c) => c.name) ?? []) >= 2) score += 0.1;
  if ((partners?.partners.length ?? 0) >= 1) score += 0.1;
  return Math.round(score * 10_000) / 10_000;
}

export const bizdevGuard = defineGuard({
  phase: 'bizdev',
  metrics: ['viability_score', 'ltv_cac_ratio', 'payback_months', 'gtm_channels_count'],
  measure(artifacts, findings) {
    const model = findArtifact(artifacts, 'BusinessModel', BusinessModel);
    const gtm = findArtifact(artifacts, 'GoToMarketPlan', GoToMarketPlan);
    if (gtm === undefined) missing(findings, 'GoToMarketPlan', 'channels cannot be counted');
    // Without a model, the economics fail closed: no ratio, a payback that never comes.
    const economics = model === undefined ? undefined : unitEconomicsOf(model);
    return {
      viability_score: viabilityScore(
        model,
        findArtifact(artifacts, 'PricingModel', PricingModel),
        gtm,
        findArtifact(artifacts, 'PartnershipPlan', PartnershipPlan),
        findings,
      ),
      ltv_cac_ratio: economics?.ltvToCac ?? 0,
      payback_months: economics?.paybackMonths ?? PAYBACK_CAP_MONTHS,
      gtm_channels_count: distinctCount(gtm?.channels.map((c) => c.name) ?? []),
    };
  },
});

export const architectureGuard = defineGuard({
  phase: 'architecture',
  metrics: ['api_coverage', 'adr_count', 'components_count'],
  measure(artifacts, findings) {
    const stories = findArtifact(artifacts, 'UserStories', UserStories)?.stories;
    const api = findArtifact(artifacts, 'ApiSpec', ApiSpec);
    const spec = findArtifact(artifacts, 'ArchitectureSpec', ArchitectureSpec);
    const adrs = findArtifact(artifacts, 'ADRs', ADRs);
    if (stories === undefined)
      missing(findings, 'UserStories', 'API coverage is measured against the PRD stories');
    if (api === undefined) missing(findings, 'ApiSpec', 'no endpoints to measure');
    if (spec === undefined) missing(findings, 'ArchitectureSpec', 'components cannot be counted');
    const served = new Set(api?.endpoints.flatMap((e) => e.storyIds) ?? []);
    const covered = (stories ?? []).filter((s) => served.has(s.id));
    for (const s of stories ?? []) {
      if (!served.has(s.id))
        findings.push({
          severity: 'warning',
          message: `story ${s.id} is served by no endpoint`,
          artifactId: idOf(artifacts, 'ApiSpec'),
        });
    }
    const ids = new Set(spec?.components.map((c) => c.id) ?? []);
    for (const c of spec?.components ?? []) {
      for (const d of c.dependsOn)
        if (!ids.has(d))
          findings.push({ severity: 'warning', message: `component ${c.id} depends on unknown ${d}` });
    }
    return {
      api_coverage: ratio(covered.length, stories?.length ?? 0),
      adr_count: adrs?.adrs.length ?? 0,
      components_count: spec?.components.length ?? 0,
    };
  },
});
