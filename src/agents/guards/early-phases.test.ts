import { describe, expect, it } from 'vitest';
import { goal, spec, stories, story, view } from '../testing/guard-fixtures.ts';
import { critiqueGuard, ideationGuard, intakeGuard } from './discovery.ts';
import { buildGuard } from './engineering.ts';
import { architectureGuard, bizdevGuard, LTV_CAC_CAP, PAYBACK_CAP_MONTHS, prdGuard } from './product.ts';

describe('intake guard', () => {
  it('measures ambiguity as unresolved ambiguities plus vague statements over all statements', () => {
    const report = intakeGuard.evaluate([
      view(
        'IdeaSpec',
        spec({
          goals: [goal('G1', 'Lists, tags, etc.'), goal('G2')],
          ambiguities: [{ id: 'AMB-1', statement: 'Who edits?' }],
        }),
      ),
    ]);
    // statements: 2 goals + 1 constraint + 1 ambiguity = 4; ambiguous: 1 vague goal + 1 unresolved.
    expect(report.metrics).toMatchObject({ ambiguity: 0.5, blockers: 0, feasibility: true });
  });

  it('counts unresolved blockers from the spec and the validation, and needs both to be feasible', () => {
    const report = intakeGuard.evaluate([
      view(
        'IdeaSpec',
        spec({
          blockers: [
            { id: 'B1', description: 'x', resolved: false },
            { id: 'B2', description: 'y', resolved: true },
          ],
        }),
      ),
      view('IdeaValidation', {
        verdict: 'no-go',
        feasible: false,
        checks: [{ name: 'c', passed: false, note: 'n' }],
        blockers: [{ id: 'B3', description: 'z', resolved: false }],
      }),
    ]);
    expect(report.metrics).toMatchObject({ blockers: 2, feasibility: false });
  });
});

describe('ideation guard', () => {
  it('measures use-case coverage against the IdeaSpec goals, not the use cases', () => {
    const useCase = (id: string, goalIds: string[]) => ({
      id,
      title: id,
      actor: 'P1',
      goalIds,
      steps: ['s'],
      outcome: 'o',
    });
    const report = ideationGuard.evaluate([
      view('IdeaSpec', spec({ goals: [goal('G1'), goal('G2'), goal('G3'), goal('G4')] })),
      view('ProductStrategy', {
        vision: 'v',
        positioning: 'p',
        northStar: 'n',
        differentiators: [],
        useCases: [useCase('UC-1', ['G1', 'G2']), useCase('UC-2', ['G9'])],
      }),
      view('Personas', { personas: [] }),
    ]);
    expect(report.metrics).toEqual({ usecase_coverage: 0.5, personas_count: 0, competitors_count: 0 });
  });

  it('counts competitors by distinct name', () => {
    const competitor = (name: string, kind = 'direct') => ({ name, kind, strengths: [], weaknesses: [] });
    const report = ideationGuard.evaluate([
      view('CompetitiveAnalysis', {
        competitors: [competitor('Trello'), competitor(' trello ', 'substitute'), competitor('Asana')],
        marketGaps: [],
        differentiators: [],
      }),
    ]);
    expect(report.metrics['competitors_count']).toBe(2);
    expect(ideationGuard.evaluate([]).findings.map((f) => f.message)).toContain(
      'no valid CompetitiveAnalysis artifact among the inputs: competitors cannot be counted',
    );
  });
});

describe('critique guard', () => {
  it('counts unresolved contradictions across reports and unmitigated critical risks', () => {
    const finding = (id: string, kind: string, resolved: boolean) => ({
      id,
      kind,
      severity: 'high',
      statement: 's',
      refs: [],
      resolved,
    });
    const report = critiqueGuard.evaluate([
      view('RedTeamFindings', {
        findings: [
          finding('F1', 'contradiction', false),
          finding('F2', 'contradiction', true),
          finding('F3', 'gap', false),
        ],
      }),
      view('AssumptionChallenges', { challenges: [], findings: [finding('F4', 'contradiction', false)] }),
      view('RiskRegister', {
        risks: [
          { id: 'R1', title: 't', category: 'legal', severity: 'critical', likelihood: 'low', owner: 'o' },
          {
            id: 'R2',
            title: 't',
            category: 'legal',
            severity: 'critical',
            likelihood: 'low',
            mitigation: 'm',
            owner: 'o',
          },
        ],
      }),
    ]);
    expect(report.metrics).toMatchObject({ contradictions: 2, critical_risks_unmitigated: 1 });
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.message.startsWith('no valid'));
    expect(errors).toHaveLength(3);
  });

  it('measures challenged assumptions against the IdeaSpec, by quoted statement, id or finding', () => {
    const assumption = (id: string, statement: string) => ({ id, statement, mitigation: 'm' });
    const challenge = (id: string, text: string) => ({
      id,
      assumption: text,
      challenge: 'c',
      test: 't',
      verdict: 'holds',
    });
    const report = critiqueGuard.evaluate([
      view(
        'IdeaSpec',
        spec({
          assumptions: [
            assumption('A1', 'Teams want one shared list.'),
            assumption('A2', 'Leads pay for visibility.'),
            assumption('A3', 'Mobile can wait.'),
            assumption('A4', 'Chat tools will not copy us.'),
          ],
        }),
      ),
      view('AssumptionChallenges', {
        challenges: [
          challenge('AC-1', '  teams want ONE shared list. '),
          challenge('AC-2', 'A2: leads would pay'),
          challenge('AC-3', 'A30 is unrelated'),
        ],
        findings: [
          {
            id: 'AF-1',
            kind: 'weak-assumption',
            severity: 'medium',
            statement: 's',
            refs: ['A3'],
            resolved: true,
          },
        ],
      }),
    ]);
    expect(report.metrics['challenged_assumptions_ratio']).toBe(0.75);
    expect(report.findings.some((f) => f.message.startsWith('assumption A4 is not challenged'))).toBe(true);
  });

  it('fails closed on an IdeaSpec without assumptions', () => {
    const report = critiqueGuard.evaluate([
      view('IdeaSpec', spec({ assumptions: [] })),
      view('AssumptionChallenges', { challenges: [], findings: [] }),
    ]);
    expect(report.metrics['challenged_assumptions_ratio']).toBe(0);
    expect(report.findings.map((f) => f.message)).toContain('the IdeaSpec lists no assumptions to challenge');
  });
});

describe('prd guard', () => {
  it('traces a requirement only through stories that exist and at least one test', () => {
    const req = (id: string) => ({ id, statement: id, priority: 'must', goalIds: [], storyIds: [] });
    const report = prdGuard.evaluate([
      stories(story('US-1', 2), story('US-2', 0)),
      view('PRD', {
        title: 't',
        summary: 's',
        problem: 'p',
        requirements: [req('REQ-1'), req('REQ-2'), req('REQ-3')],
        successMetrics: ['m'],
        outOfScope: [],
        releaseScope: 'r',
      }),
      view('RTM', {
        rows: [
          { requirementId: 'REQ-1', requirement: 'r', storyIds: ['US-1'], testIds: ['TC-1'] },
          { requirementId: 'REQ-2', requirement: 'r', storyIds: ['US-404'], testIds: ['TC-2'] },
          { requirementId: 'REQ-3', requirement: 'r', storyIds: ['US-2'], testIds: [] },
        ],
      }),
      view('NFRs', { nfrs: [] }),
    ]);
    expect(report.metrics).toEqual({ traceability: 0.3333, acceptance_criteria_coverage: 0.5, nfr_count: 0 });
  });
});

describe('bizdev guard', () => {
  it('recomputes unit economics instead of trusting the reported LTV', () => {
    const model = (unitEconomics: Record<string, number>) =>
      view('BusinessModel', {
        revenueStreams: ['Pro'],
        unitEconomics: { ltvUsd: 1e9, paybackMonths: 0, ...unitEconomics },
        assumptions: [],
      });
    const rest = [
      view('PricingModel', {
        model: 'subscription',
        currency: 'USD',
        tiers: [{ name: 'Pro', priceUsdMonthly: 10, includes: ['x'] }],
        rationale: 'r',
      }),
      view('GoToMarketPlan', {
        segments: [{ name: 's', why: 'w' }],
        channels: [
          { name: 'a', cacUsd: 1, rationale: 'r' },
          { name: 'b', cacUsd: 1, rationale: 'r' },
        ],
        launchPhases: [{ name: 'l', weeks: 1, goal: 'g' }],
        messaging: 'm',
      }),
      view('PartnershipPlan', {
        partners: [{ name: 'p', type: 'integration', value: 'v', priority: 'now' }],
      }),
    ];
    const healthy = bizdevGuard.evaluate([
      model({ arpuUsdMonthly: 20, cacUsd: 50, grossMarginPct: 80, monthlyChurnPct: 4 }),
      ...rest,
    ]);
    expect(healthy.metrics).toEqual({
      viability_score: 1,
      // LTV = 20 × 0.8 ÷ 0.04 = 400 → 8 × CAC; payback = 50 ÷ 16 = 3.125 months.
      ltv_cac_ratio: 8,
      payback_months: 3.13,
      gtm_channels_count: 2,
    });
    // LTV = 20 × 0.3 ÷ 0.15 = 40 → LTV/CAC 0.1; payback = 400 ÷ 6 ≈ 66.7 months.
    const poor = bizdevGuard.evaluate([
      model({ arpuUsdMonthly: 20, cacUsd: 400, grossMarginPct: 30, monthlyChurnPct: 15 }),
      ...rest,
    ]);
    expect(poor.metrics['viability_score']).toBeCloseTo(
      0.3 * (0.1 / 3) + 0.2 * 0.5 + 0.2 * (12 / 66.6667) + 0.3,
      3,
    );
    expect(poor.metrics).toMatchObject({ ltv_cac_ratio: 0.1, payback_months: 66.67 });
  });

  it('reports finite economics: capped for free acquisition or no profit, failing closed when missing', () => {
    const model = (unitEconomics: Record<string, number>) =>
      view('BusinessModel', {
        revenueStreams: ['Pro'],
        unitEconomics: { ltvUsd: 0, paybackMonths: 0, monthlyChurnPct: 5, ...unitEconomics },
        assumptions: [],
      });
    const free = bizdevGuard.evaluate([model({ arpuUsdMonthly: 10, cacUsd: 0, grossMarginPct: 50 })]);
    expect(free.metrics).toMatchObject({ ltv_cac_ratio: LTV_CAC_CAP, payback_months: 0 });
    const noProfit = bizdevGuard.evaluate([model({ arpuUsdMonthly: 0, cacUsd: 30, grossMarginPct: 50 })]);
    expect(noProfit.metrics).toMatchObject({ ltv_cac_ratio: 0, payback_months: PAYBACK_CAP_MONTHS });
    const none = bizdevGuard.evaluate([]);
    expect(none.metrics).toEqual({
      viability_score: 0,
      ltv_cac_ratio: 0,
      payback_months: PAYBACK_CAP_MONTHS,
      gtm_channels_count: 0,
    });
    expect(none.findings.filter((f) => f.severity === 'error')).toHaveLength(2);
  });
});

describe('architecture guard', () => {
  it('measures API coverage against the PRD stories', () => {
    const endpoint = (id: string, storyIds: string[]) => ({
      id,
      method: 'GET',
      path: '/api/v1/x',
      summary: 's',
      componentId: 'api',
      storyIds,
      authRequired: true,
      responses: [200],
    });
    const report = architectureGuard.evaluate([
      stories(story('US-1'), story('US-2'), story('US-3'), story('US-4')),
      view('ApiSpec', {
        baseUrl: 'u',
        auth: 'a',
        endpoints: [endpoint('EP-1', ['US-1', 'US-2']), endpoint('EP-2', ['US-2', 'US-3'])],
      }),
      view('ArchitectureSpec', {
        style: 's',
        summary: 's',
        components: [
          { id: 'api', name: 'n', kind: 'gateway', responsibility: 'r', dependsOn: ['ghost'], features: [] },
        ],
        dataFlows: [],
      }),
      view('ADRs', { adrs: [] }),
    ]);
    expect(report.metrics).toEqual({ api_coverage: 0.75, adr_count: 0, components_count: 1 });
    expect(report.findings.some((f) => f.message.includes('unknown ghost'))).toBe(true);
  });
});

describe('build guard', () => {
  it('measures stories assigned to modules and counts CI stages', () => {
    const report = buildGuard.evaluate([
      stories(story('US-1'), story('US-2')),
      view('BuildPlan', {
        modules: [
          { id: 'm', componentId: 'c', name: 'n', storyIds: ['US-2'], tasks: ['t'], estimateDays: 1 },
        ],
        dependencies: [],
        milestones: [{ name: 'n', moduleIds: [] }],
      }),
      view('CiPipeline', { provider: 'p', stages: [{ name: 'lint', jobs: ['j'], blocking: true }] }),
    ]);
    expect(report.metrics).toEqual({ build_plan_coverage: 0.5, ci_stages: 1, scaffold_valid: false });
  });

  it('validates the scaffold: paths inside the repository, once each, and build and test scripts', () => {
    const scaffold = (paths: string[], scripts: Record<string, string>) =>
      view('RepoScaffold', {
        repository: 'r',
        language: 'TypeScript',
        files: paths.map((path) => ({ path, purpose: 'p' })),
        scripts,
      });
    const valid = buildGuard.evaluate([
      scaffold(['package.json', 'src/server.ts'], { build: 'tsc -p .', test: 'vitest run' }),
    ]);
    expect(valid.metrics['scaffold_valid']).toBe(true);
    const invalid = buildGuard.evaluate([
      scaffold(['package.json', './package.json', '../etc/passwd', '/abs.ts'], { build: 'tsc', test: ' ' }),
    ]);
    expect(invalid.metrics['scaffold_valid']).toBe(false);
    expect(
      invalid.findings.filter((f) => f.message.startsWith('invalid scaffold')).map((f) => f.message),
    ).toEqual([
      'invalid scaffold: path ./package.json appears twice',
      'invalid scaffold: path ../etc/passwd leaves the repository',
      'invalid scaffold: path /abs.ts leaves the repository',
      'invalid scaffold: no "test" script',
    ]);
  });
});
