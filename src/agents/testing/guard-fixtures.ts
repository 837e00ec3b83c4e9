import type { ArtifactView } from '../../core/agent.ts';

/** Hand-built artifacts for guard tests: independent of the offline synthesizers on purpose. */

let seq = 0;

export function view(type: string, content: unknown, phase = 'test'): ArtifactView {
  seq++;
  return { id: `${type}-${seq}`, type, name: 'fixture', phase, content };
}

export const goal = (id: string, statement = `Goal ${id} with a number`) => ({
  id,
  statement,
  metric: '50% weekly use',
});
export const spec = (over: Record<string, unknown> = {}) => ({
  title: 'T',
  summary: 'S',
  problem: 'Small teams lose track of todos across chats.',
  users: [{ id: 'P1', name: 'Lead', need: 'visibility' }],
  goals: [goal('G1'), goal('G2')],
  constraints: ['Comply with GDPR.'],
  assumptions: [],
  feasibility: { feasible: true, rationale: 'Standard web stack.', risks: [] },
  ambiguities: [{ id: 'AMB-1', statement: 'Platforms?', resolution: 'Web first.' }],
  blockers: [],
  outOfScope: [],
  ...over,
});
export const story = (id: string, criteria = 1, priority = 'must') => ({
  id,
  title: `Story ${id}`,
  persona: 'P1',
  asA: 'lead',
  iWant: 'x',
  soThat: 'y',
  requirementIds: ['REQ-1'],
  priority,
  acceptanceCriteria: Array.from({ length: criteria }, (_, i) => ({
    id: `AC-${id}.${i}`,
    given: 'g',
    when: 'w',
    expected: 'e',
  })),
});
export const stories = (...list: ReturnType<typeof story>[]) => view('UserStories', { stories: list });
