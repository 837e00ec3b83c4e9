import type { AgentInput } from '../../core/agent.ts';
import { deriveUseCases, goalsOf } from '../ideation/agents.ts';
import { Personas, ProductStrategy } from '../ideation/schemas.ts';
import { IdeaSpec } from '../intake/schemas.ts';
import { readArtifact } from '../shared/artifacts.ts';
import { defineAgent } from '../shared/define.ts';
import { type IdeaProfile, profileIdea } from '../shared/profile.ts';
import {
  AssumptionChallenges,
  type CritiqueFinding,
  RedTeamFindings,
  type Risk,
  RiskRegister,
} from './schemas.ts';

const ABUSE: Record<string, string> = {
  marketplace: 'Fake {subject} listings used to collect deposits and disappear.',
  commerce: 'Stolen cards used to buy {subjects} for resale.',
  health: 'A staff account browsing patient records without a care relationship.',
  finance: 'Account takeover used to export transaction history.',
  social: 'Harassment of members through direct messages.',
  productivity: 'A removed member keeps access to shared {subject} lists through an old invite link.',
};

function abuseCase(p: IdeaProfile): string {
  const template = ABUSE[p.domain.key] ?? 'Credential stuffing against {subject} accounts.';
  return template.replace('{subjects}', p.subjects).replace('{subject}', p.subject);
}

/** Contradictions and gaps found by comparing what the upstream artifacts say, in code. */
function crossCheck(input: AgentInput, p: IdeaProfile): CritiqueFinding[] {
  const goals = goalsOf(input, p);
  const useCases =
    readArtifact(input, 'ProductStrategy', ProductStrategy)?.useCases ?? deriveUseCases(p, goals);
  const personas = readArtifact(input, 'Personas', Personas)?.personas;
  const out: CritiqueFinding[] = [];
  const uncovered = goals.filter((g) => !useCases.some((u) => u.goalIds.includes(g.id)));
  if (uncovered.length > 0) {
    out.push({
      id: 'RT-GAP-1',
      kind: 'gap',
      severity: 'medium',
      statement: `Goals without a use case: ${uncovered.map((g) => g.id).join(', ')}.`,
      refs: uncovered.map((g) => g.id),
      resolved: false,
    });
  }
  const known = new Set(personas?.map((x) => x.id) ?? []);
  const orphans = personas === undefined ? [] : useCases.filter((u) => !known.has(u.actor));
  if (orphans.length > 0) {
    out.push({
      id: 'RT-GAP-2',
      kind: 'gap',
      severity: 'low',
      statement: `Use cases acted by personas that were not written: ${orphans.map((u) => u.id).join(', ')}.`,
      refs: orphans.map((u) => u.id),
      resolved: true,
      resolution: 'The PRD treats those actors as secondary users of the same stories.',
    });
  }
  return out;
}

function contradictions(input: AgentInput, p: IdeaProfile): CritiqueFinding[] {
  const spec = readArtifact(input, 'IdeaSpec', IdeaSpec);
  const regulation = p.domain.compliance[0] ?? 'GDPR';
  return [
    {
      id: 'RT-C1',
      kind: 'contradiction',
      severity: 'medium',
      statement: `"Onboarding under 5 minutes" (A1) conflicts with the consent and verification steps ${regulation} requires.`,
      refs: ['A1', ...(spec?.constraints.length ? ['constraints'] : [])],
      resolved: true,
      resolution:
        'Consent is one screen inside onboarding; verification is deferred until the first sensitive action.',
    },
  ];
}

export const redTeam = defineAgent({
  id: 'critique.red-team',
  purpose:
    'Red-team the idea and its ideation: contradictions, gaps and abuse cases, each resolved or flagged.',
  reads: ['IdeaSpec', 'ProductStrategy', 'Personas', 'CompetitiveAnalysis', 'TechStack'],
  produces: 'RedTeamFindings',
  role:
    'You are a red-team reviewer. You look for statements that contradict each other, goals nobody ' +
    'delivers, and ways the product can be abused. You propose a resolution for each, or leave it open if none holds.',
  task: 'Critique the upstream artifacts and list every contradiction, gap and abuse case you find.',
  rules: [
    '`kind: contradiction` only when two statements cannot both be true; cite both in `refs`.',
    'Set `resolved: true` only with a concrete `resolution` that removes the conflict.',
  ],
  outputSchema: RedTeamFindings,
  offline(input) {
    const p = profileIdea(input.idea);
    return {
      findings: [
        ...contradictions(input, p),
        ...crossCheck(input, p),
        {
          id: 'RT-A1',
          kind: 'abuse-case',
          severity: 'high',
          statement: abuseCase(p),
          refs: [p.features[0]?.id ?? 'F1'],
          resolved: true,
          resolution: 'Covered by the threat model and rate limits; added to security acceptance tests.',
        },
      ],
    };
  },
});

function risksFor(p: IdeaProfile): Risk[] {
  const regulated = ['health', 'finance', 'education'].includes(p.domain.key);
  const risks: Risk[] = [
    {
      id: 'R1',
      title: `${p.audience} keep using ${p.domain.competitors[0]} out of habit.`,
      category: 'market',
      severity: 'high',
      likelihood: 'medium',
      mitigation: 'Import from the incumbent in one step; measure week-2 retention in the beta.',
      owner: 'Product',
    },
    {
      id: 'R2',
      title: `${p.domain.compliance[0] ?? 'GDPR'} non-compliance in handling ${p.subject} data.`,
      category: 'legal',
      severity: regulated ? 'critical' : 'high',
      likelihood: 'low',
      mitigation:
        'Privacy review in the security phase; data minimisation in the data model; DPA with vendors.',
      owner: 'Security',
    },
    {
      id: 'R3',
      title: `Load spikes around ${p.features[0]?.name.toLowerCase() ?? 'the core flow'}.`,
      category: 'technical',
      severity: 'medium',
      likelihood: 'medium',
      mitigation: 'Performance budgets in QA; autoscaling and a queue for slow work.',
      owner: 'Engineering',
    },
  ];
  if (p.features.some((f) => f.key === 'payments') || p.domain.revenue === 'commission') {
    risks.push({
      id: 'R4',
      title: 'Chargebacks and payment fraud erode margin.',
      category: 'financial',
      severity: 'high',
      likelihood: 'medium',
      mitigation: 'Provider-side fraud screening; hold payouts until completion.',
      owner: 'Finance',
    });
  }
  return risks;
}

export const riskAnalyst = defineAgent({
  id: 'critique.risk-analyst',
  purpose: 'Risk register: market, technical, legal, operational and financial risks with mitigations.',
  reads: ['IdeaSpec', 'ProductStrategy', 'CompetitiveAnalysis', 'TechStack'],
  produces: 'RiskRegister',
  role:
    'You are a risk analyst. You rate each risk by severity and likelihood and give every high or ' +
    'critical risk a concrete mitigation with an owner.',
  task: 'Build the risk register for the idea.',
  rules: [
    'A critical risk without a `mitigation` blocks the gate: mitigate it or explain why it is not critical.',
  ],
  outputSchema: RiskRegister,
  offline(input) {
    const p = profileIdea(input.idea);
    return { risks: risksFor(p) };
  },
});

export const assumptionChallenger = defineAgent({
  id: 'critique.assumption-challenger',
  purpose: 'Challenge each assumption of the IdeaSpec with a test that could falsify it.',
  reads: ['IdeaSpec', 'ProductStrategy', 'Personas'],
  produces: 'AssumptionChallenges',
  role:
    'You are a scientist reviewing a business plan. For every assumption you write the cheapest test ' +
    'that could prove it wrong and say whether it holds today.',
  task: 'Challenge the assumptions of the IdeaSpec and record weak ones as findings.',
  rules: ['One challenge per assumption id; `test` is an experiment with a number to hit.'],
  outputSchema: AssumptionChallenges,
  offline(input) {
    const p = profileIdea(input.idea);
    const spec = readArtifact(input, 'IdeaSpec', IdeaSpec);
    const assumptions = spec?.assumptions ?? [
      { id: 'A1', statement: `${p.audience} want a dedicated ${p.productType}.`, mitigation: 'Beta' },
    ];
    const challenges = assumptions.map((a, i) => ({
      id: `AC-${i + 1}`,
      assumption: a.statement,
      challenge: `What if ${p.audience} only need this occasionally and ${p.domain.competitors[1] ?? 'existing tools'} are good enough?`,
      test: `Landing page plus beta: at least ${30 + i * 10}% of sign-ups complete ${p.features[0]?.name.toLowerCase() ?? 'the core flow'} in week 1.`,
      verdict: i === 0 ? ('weak' as const) : ('holds' as const),
    }));
    return {
      challenges,
      findings: challenges
        .filter((c) => c.verdict !== 'holds')
        .map((c, i) => ({
          id: `AF-${i + 1}`,
          kind: 'weak-assumption' as const,
          severity: 'medium' as const,
          statement: `Weak assumption: ${c.assumption}`,
          refs: [assumptions[i]?.id ?? c.id],
          resolved: true,
          resolution: `Tracked as a beta experiment: ${c.test}`,
        })),
    };
  },
});

export const critiqueAgents = [redTeam, riskAnalyst, assumptionChallenger] as const;
