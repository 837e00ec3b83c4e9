import type { AgentInput } from '../../core/agent.ts';
import { readArtifact } from '../shared/artifacts.ts';
import { defineAgent } from '../shared/define.ts';
import { type IdeaProfile, profileIdea } from '../shared/profile.ts';
import { seeded } from '../shared/seed.ts';
import { capitalize, vagueTermsIn } from '../shared/text.ts';
import { type Goal, IdeaClassification, IdeaSpec, IdeaValidation } from './schemas.ts';

const REGULATED = new Set(['health', 'finance', 'education']);

export const classifier = defineAgent({
  id: 'intake.classifier',
  purpose: 'Classify the idea: domain, product type, audience, complexity and regulatory exposure.',
  reads: [],
  produces: 'IdeaClassification',
  role:
    'You are a product analyst who triages raw ideas. You name the domain and the audience precisely, ' +
    'judge complexity from the number of moving parts, and flag regulation early because it changes scope.',
  task: 'Classify the idea below so that later agents can pick the right patterns, risks and compliance rules.',
  rules: [
    '`complexity` is `high` when the idea is regulated or needs more than five features, `medium` from five.',
    'List concrete regulations in `compliance` (e.g. HIPAA, PCI DSS, GDPR), not generic "laws".',
  ],
  outputSchema: IdeaClassification,
  offline(input) {
    const p = profileIdea(input.idea);
    const regulated = REGULATED.has(p.domain.key) || p.features.some((f) => f.key === 'payments');
    const size = p.features.length;
    return {
      domain: p.domain.key,
      domainLabel: p.domain.label,
      productType: p.productType,
      subject: p.subject,
      audience: p.audience,
      keywords: p.keywords,
      complexity: regulated || size > 5 ? 'high' : size === 5 ? 'medium' : 'low',
      regulated,
      compliance: [...p.domain.compliance],
    };
  },
});

/** One goal per feature: the thread later phases follow (goal → use case → requirement → story). */
export function deriveGoals(p: IdeaProfile): Goal[] {
  const rng = seeded(p.fingerprint, 'goals');
  return p.features.map((f, i) => ({
    id: `G${i + 1}`,
    statement: `${f.name}: lets ${p.audience} ${f.verb} ${p.subjects} (${f.summary}).`,
    metric: `Used by at least ${rng.int(`adoption-${i}`, 40, 75)}% of weekly active users within 8 weeks of launch.`,
    feature: f.key,
  }));
}

function ambiguitiesFor(p: IdeaProfile, input: AgentInput): IdeaSpec['ambiguities'] {
  const found: IdeaSpec['ambiguities'] = vagueTermsIn(input.idea.description).map((term, i) => ({
    id: `AMB-${i + 1}`,
    statement: `"${term}" in the description does not say what is included.`,
    resolution: `Assumed the first release covers only the listed features; "${term}" items go to the backlog.`,
  }));
  const standard = [
    {
      statement: 'The idea does not say which platforms to support.',
      resolution: 'Assumed a responsive web app first; native apps after the beta.',
    },
    {
      statement:
        input.idea.audience === undefined
          ? 'The idea does not name its audience precisely.'
          : 'The audience size is not stated.',
      resolution: `Assumed ${p.audience} as the launch audience, starting with a few hundred accounts.`,
    },
    {
      statement: `How ${p.subjects} are priced is not stated.`,
      resolution: `Assumed a ${p.domain.revenue} model, validated in bizdev.`,
    },
  ];
  for (const s of standard) found.push({ id: `AMB-${found.length + 1}`, ...s });
  return found;
}

export const expander = defineAgent({
  id: 'intake.expander',
  purpose: 'Expand the idea into an IdeaSpec: problem, users, measurable goals, constraints, assumptions.',
  reads: ['IdeaClassification'],
  produces: 'IdeaSpec',
  role:
    'You are a senior product manager writing the first spec of a product. You turn a sentence into a ' +
    'problem statement, named users and measurable goals, and you resolve every ambiguity with an assumption.',
  task: 'Expand the idea into an IdeaSpec that the ideation, critique and PRD phases can build on.',
  rules: [
    'Every goal has an id (G1, G2...) and a measurable metric; avoid vague words (etc., seamless, various).',
    'List each ambiguity you notice; give it a `resolution` (the assumption you make) unless it truly cannot be settled.',
    'A blocker is something that makes the idea impossible to start; mark it resolved only with a concrete resolution.',
  ],
  outputSchema: IdeaSpec,
  offline(input) {
    const p = profileIdea(input.idea);
    const [, alt1, alt2] = p.domain.competitors;
    const first = p.features[0];
    return {
      title: p.title,
      summary: p.summary || p.title,
      problem:
        `${capitalize(p.audience)} have no single place to ${first?.verb ?? 'manage'} ${p.subjects}; ` +
        `today they rely on ${alt1 ?? 'ad-hoc tools'} and ${alt2 ?? 'memory'}, which lose context and time.`,
      users: p.roles.slice(0, 3).map((r) => ({ id: r.id, name: r.name, need: r.focus })),
      goals: deriveGoals(p),
      constraints: [
        ...p.constraints,
        ...p.domain.compliance.map((c) => `Comply with ${c}.`),
        'Ship a responsive web app before native mobile apps.',
      ],
      assumptions: [
        {
          id: 'A1',
          statement: `${capitalize(p.audience)} will try a new ${p.productType} if onboarding takes under 5 minutes.`,
          mitigation: 'Measure time-to-first-value in the beta.',
        },
        {
          id: 'A2',
          statement: `A ${p.domain.revenue} model fits ${p.domain.label}.`,
          mitigation: 'Test price points with the beta cohort.',
        },
      ],
      feasibility: {
        feasible: true,
        rationale: `${p.features.length} features on a standard web stack; no novel research is needed.`,
        risks: p.domain.compliance.map((c) => `${c} obligations add review work.`),
      },
      ambiguities: ambiguitiesFor(p, input),
      blockers: [],
      outOfScope: [
        'Native iOS and Android apps in the first release',
        `Migration tools from ${p.domain.competitors[0]}`,
      ],
    };
  },
});

const IMPLAUSIBLE = [
  '100% accura',
  'guaranteed return',
  'never fail',
  'zero risk',
  'perpetual',
  'unlimited free',
];

function validationChecks(p: IdeaProfile, spec: IdeaSpec): IdeaValidation['checks'] {
  const claims = IMPLAUSIBLE.filter((c) => p.summary.toLowerCase().includes(c));
  return [
    {
      name: 'problem-stated',
      passed: spec.problem.length >= 20,
      note: `The problem names who suffers (${p.audience}) and what they use today.`,
    },
    {
      name: 'users-identified',
      passed: spec.users.length > 0,
      note: `User groups: ${spec.users.map((u) => u.name).join(', ')}.`,
    },
    {
      name: 'goals-measurable',
      passed: spec.goals.every((g) => g.metric.length > 0),
      note: `${spec.goals.length} goals, each with a metric.`,
    },
    {
      name: 'scope-bounded',
      passed: spec.outOfScope.length > 0,
      note: `Out of scope: ${spec.outOfScope.join('; ')}.`,
    },
    {
      name: 'claims-plausible',
      passed: claims.length === 0,
      note:
        claims.length === 0
          ? 'No absolute promises in the idea.'
          : `Reframed as targets, not promises: ${claims.join(', ')}.`,
    },
  ];
}

export const validator = defineAgent({
  id: 'intake.validator',
  purpose: 'Validate the IdeaSpec: feasibility, blockers and a go/no-go verdict with the checks behind it.',
  reads: ['IdeaSpec', 'IdeaClassification'],
  produces: 'IdeaValidation',
  role:
    'You are a skeptical technical reviewer. You check that the spec is buildable with known technology, ' +
    'that nothing blocks the start, and you back every verdict with named checks.',
  task: 'Validate the IdeaSpec below and decide whether the run can proceed.',
  rules: [
    '`feasible` is false only if no known technology or business model can deliver the goals.',
    'A blocker must be unresolved only if it stops the next phase from starting.',
  ],
  outputSchema: IdeaValidation,
  offline(input) {
    const p = profileIdea(input.idea);
    const spec = readArtifact(input, 'IdeaSpec', IdeaSpec) ?? expander.offline(input);
    const checks = validationChecks(p, spec);
    const verdict: IdeaValidation['verdict'] = checks.some((c) => !c.passed) ? 'go-with-risks' : 'go';
    return { verdict, feasible: true, checks, blockers: [] };
  },
});

export const intakeAgents = [classifier, expander, validator] as const;
