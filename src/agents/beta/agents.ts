import { Personas } from '../ideation/schemas.ts';
import { storiesOf, useCasesOf } from '../prd/derive.ts';
import { readArtifact } from '../shared/artifacts.ts';
import { defineAgent } from '../shared/define.ts';
import { profileIdea } from '../shared/profile.ts';
import { seeded } from '../shared/seed.ts';
import { slugify } from '../shared/text.ts';
import { BetaPlan, FeedbackPlan, TelemetryPlan } from './schemas.ts';

const UPSTREAM = ['Personas', 'GoToMarketPlan', 'PRD', 'UserStories', 'ReleaseNotes', 'DeployPlan', 'NFRs'];

export const cohortPlanner = defineAgent({
  id: 'beta.cohort-planner',
  purpose: 'Beta cohorts per persona with sizes, entry criteria, duration and exit criteria.',
  reads: UPSTREAM,
  produces: 'BetaPlan',
  role: 'You are a beta program manager. You recruit cohorts that mirror the personas, large enough to see patterns, small enough to support.',
  task: 'Plan the beta cohorts for the first release of the idea.',
  rules: ['One cohort per persona; sizes are numbers of accounts.', 'Exit criteria are measurable.'],
  outputSchema: BetaPlan,
  offline(input) {
    const p = profileIdea(input.idea);
    const rng = seeded(p.fingerprint, 'cohorts');
    const personas =
      readArtifact(input, 'Personas', Personas)?.personas.map((x) => ({ id: x.id, role: x.role })) ??
      p.roles.slice(0, 3).map((r) => ({ id: r.id, role: r.name }));
    return {
      cohorts: personas.map((persona, i) => ({
        name: `${persona.role} cohort`,
        personaId: persona.id,
        size: rng.int(persona.id, 25, 60),
        criteria: `${persona.role} among ${p.audience}, active in the last 30 days with ${p.domain.competitors[i % p.domain.competitors.length]}.`,
      })),
      durationWeeks: 6,
      exitCriteria: [
        'Week-2 retention ≥ 40%',
        'No open critical bugs',
        `${p.domain.northStar} trending up for 3 weeks`,
      ],
    };
  },
});

export const telemetryDesigner = defineAgent({
  id: 'beta.telemetry-designer',
  purpose: 'Telemetry events: activation, per-feature usage and errors, with privacy-safe properties.',
  reads: UPSTREAM,
  produces: 'TelemetryPlan',
  tools: ['telemetry-lint'],
  role: 'You are a product analyst. You instrument the few events that answer the beta questions, with no personal data in properties.',
  task: 'Design the telemetry events for the beta of the idea.',
  rules: [
    'snake_case event names; properties never contain personal data.',
    'Each feature event names the stories it measures.',
  ],
  outputSchema: TelemetryPlan,
  offline(input) {
    const p = profileIdea(input.idea);
    const stories = storiesOf(input, p);
    const useCases = useCasesOf(input, p);
    const events: TelemetryPlan['events'] = [
      { name: 'signed_up', trigger: 'Account created', properties: ['referrer', 'plan'], storyIds: [] },
      {
        name: 'activated',
        trigger: `First "${p.features[0]?.name ?? p.subject}" completed`,
        properties: ['minutes_since_signup'],
        storyIds: [],
      },
      ...useCases.map((uc) => ({
        name: `${(uc.feature ?? slugify(uc.title).slice(0, 24)).replace(/[^a-z0-9]+/g, '_')}_completed`,
        trigger: `${uc.title} confirmed`,
        properties: ['duration_ms', 'client'],
        storyIds: stories.filter((s) => s.useCaseId === uc.id).map((s) => s.id),
      })),
      {
        name: 'error_shown',
        trigger: 'Any error message displayed',
        properties: ['code', 'screen'],
        storyIds: [],
      },
    ];
    return {
      events,
      privacy:
        'Pseudonymous account id only; no names, emails or free text in properties; 13-month retention.',
    };
  },
});

export const feedbackAnalyst = defineAgent({
  id: 'beta.feedback-analyst',
  purpose: 'Feedback plan: channels, survey, themes to watch and the success criteria of the beta.',
  reads: [...UPSTREAM, 'BetaPlan', 'TelemetryPlan'],
  produces: 'FeedbackPlan',
  role: 'You are a user researcher. You pair what users say with what telemetry shows and turn both into themes with signals.',
  task: 'Plan how beta feedback for the idea is collected and analysed.',
  rules: ['Each theme names the signal (event or answer) that measures it.'],
  outputSchema: FeedbackPlan,
  offline(input) {
    const p = profileIdea(input.idea);
    return {
      channels: [
        'In-app feedback widget',
        'Bi-weekly interviews with 5 beta users',
        'Support inbox tagged "beta"',
      ],
      survey: [
        { question: `How likely are you to recommend ${p.title} to other ${p.audience}?`, scale: 'nps' },
        {
          question: `How easy was it to ${p.features[0]?.verb ?? 'use'} your first ${p.subject}?`,
          scale: '1-5',
        },
        { question: 'What almost stopped you from using it?', scale: 'free-text' },
      ],
      themes: p.features.slice(0, 3).map((f) => ({
        theme: f.name,
        signal: `Completion rate and survey mentions of "${f.name.toLowerCase()}"`,
      })),
      successCriteria: [
        'NPS ≥ 30',
        'Activation ≥ 50% of sign-ups',
        `Week-4 retention ≥ 30% of ${p.audience}`,
      ],
    };
  },
});

export const betaAgents = [cohortPlanner, telemetryDesigner, feedbackAnalyst] as const;
