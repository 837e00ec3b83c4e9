import type { AgentInput } from '../../core/agent.ts';
import { deriveUseCases, goalsOf } from '../ideation/agents.ts';
import { Personas, ProductStrategy, type UseCase } from '../ideation/schemas.ts';
import type { Goal } from '../intake/schemas.ts';
import { readArtifact } from '../shared/artifacts.ts';
import type { IdeaProfile } from '../shared/profile.ts';
import { humanize, lowerFirst, plural } from '../shared/text.ts';
import { type AcceptanceCriterion, type Requirement, UserStories, type UserStory } from './schemas.ts';

/**
 * The PRD thread, shared by the agents of the phase so that each can work alone (the phase may run
 * them in parallel) and still agree on ids: requirement `REQ-n` ↔ goal n, story `US-u.k` ↔ use case u,
 * criterion `AC-u.k.c`, test `TC-u.k.c`.
 */

export function requirementIdFor(goals: readonly Goal[], goalId: string): string {
  return `REQ-${goals.findIndex((g) => g.id === goalId) + 1}`;
}

export function testIdFor(criterionId: string): string {
  return criterionId.replace(/^AC-/, 'TC-');
}

export function useCasesOf(input: AgentInput, p: IdeaProfile): UseCase[] {
  return (
    readArtifact(input, 'ProductStrategy', ProductStrategy)?.useCases ?? deriveUseCases(p, goalsOf(input, p))
  );
}

/** Verbs that read rather than write: their criteria check results, not saves. */
const READ_VERBS = new Set([
  'search',
  'browse',
  'view',
  'review',
  'inspect',
  'discover',
  'locate',
  'open',
  'analyze',
  'track',
  'audit',
]);

function criteria(
  prefix: string,
  p: IdeaProfile,
  story: { role: string; verb: string; entity: string; edge: boolean },
): AcceptanceCriterion[] {
  const thing = `${p.subject} ${story.entity}`;
  if (story.edge) {
    return [
      {
        id: `${prefix}.1`,
        given: `a user without access to the ${thing}`,
        when: `they try to ${story.verb} it`,
        expected: 'the request is refused with 403 and the attempt is logged',
      },
      {
        id: `${prefix}.2`,
        given: `a ${thing} changed by someone else meanwhile`,
        when: `the ${story.role} saves`,
        expected: 'they see the newer version and nothing is overwritten silently',
      },
    ];
  }
  return [
    READ_VERBS.has(story.verb)
      ? {
          id: `${prefix}.1`,
          given: `a signed-in ${story.role} and existing ${plural(thing)}`,
          when: `they ${story.verb} ${plural(thing)}`,
          expected: 'the matching results appear within 2 seconds, newest first',
        }
      : {
          id: `${prefix}.1`,
          given: `a signed-in ${story.role}`,
          when: `they ${story.verb} a ${thing}`,
          expected: `it is saved and visible to ${p.audience} within 2 seconds`,
        },
    {
      id: `${prefix}.2`,
      given: `a ${story.role} entering invalid data`,
      when: 'they submit',
      expected: 'a field-level error explains what to fix and nothing is saved',
    },
  ];
}

function roleName(input: AgentInput, p: IdeaProfile, personaId: string): string {
  const persona = readArtifact(input, 'Personas', Personas)?.personas.find((x) => x.id === personaId);
  return (
    persona?.role ??
    p.roles.find((r) => r.id === personaId)?.name ??
    p.roles[0]?.name ??
    'user'
  ).toLowerCase();
}

/** One story per use case, plus an access/conflict story for every other use case. */
export function deriveStories(input: AgentInput, p: IdeaProfile): UserStory[] {
  const goals = goalsOf(input, p);
  const stories: UserStory[] = [];
  useCasesOf(input, p).forEach((uc, u) => {
    const feature = p.features.find((f) => f.key === uc.feature) ?? p.features[u % p.features.length]!;
    const role = roleName(input, p, uc.actor);
    const entity = humanize(feature.entity);
    const requirementIds = uc.goalIds.map((g) => requirementIdFor(goals, g)).filter((id) => id !== 'REQ-0');
    const variants = u % 2 === 0 ? [false, true] : [false];
    variants.forEach((edge, k) => {
      const id = `US-${u + 1}.${k + 1}`;
      const prefix = `AC-${u + 1}.${k + 1}`;
      stories.push({
        id,
        title: edge ? `Protect ${p.subject} ${entity} access and edits` : uc.title,
        useCaseId: uc.id,
        persona: uc.actor,
        asA: role,
        iWant: edge
          ? `only the right people to ${feature.verb} the ${p.subject} ${entity}`
          : lowerFirst(uc.title),
        soThat: edge ? `I can trust what ${p.audience} see` : uc.outcome,
        requirementIds,
        priority: edge ? 'should' : u < 3 ? 'must' : 'should',
        acceptanceCriteria: criteria(prefix, p, { role, verb: feature.verb, entity, edge }),
      });
    });
  });
  return stories;
}

export function storiesOf(input: AgentInput, p: IdeaProfile): UserStory[] {
  return readArtifact(input, 'UserStories', UserStories)?.stories ?? deriveStories(input, p);
}

export function deriveRequirements(
  input: AgentInput,
  p: IdeaProfile,
  stories: readonly UserStory[],
): Requirement[] {
  return goalsOf(input, p).map((goal, i) => {
    const id = `REQ-${i + 1}`;
    return {
      id,
      statement: `The system shall support: ${goal.statement}`,
      priority: i < 3 ? 'must' : 'should',
      goalIds: [goal.id],
      storyIds: stories.filter((s) => s.requirementIds.includes(id)).map((s) => s.id),
    };
  });
}
