import type { AgentDefinition, AgentInput, ArtifactView, Idea } from '../../../core/agent.ts';
import { architectureAgents } from '../../architecture/agents.ts';
import { ideationAgents } from '../../ideation/agents.ts';
import { intakeAgents } from '../../intake/agents.ts';
import { prdAgents } from '../../prd/agents.ts';

/**
 * Test fixtures: the generator's input as the build phase sees it, from the offline agents of the
 * phases it reads (intake → architecture), each phase fed the artifacts of the ones before, as
 * `testing/simulate.ts` does. Only those four phases, so the fixture does not depend on the rest.
 */

export const FIXTURE_IDEAS = {
  todo: { title: 'TeamTodo', description: 'A shared todo app for small teams' },
  camping: { title: 'GearShare', description: 'A marketplace for renting camping gear between neighbours' },
  reading: { title: 'ReadLog', description: 'A command-line tool to track personal reading habits' },
} as const satisfies Record<string, Idea>;

const UPSTREAM_PHASES: readonly (readonly AgentDefinition[])[] = [
  intakeAgents,
  ideationAgents,
  prdAgents,
  architectureAgents,
];

function view(agent: AgentDefinition, content: unknown, index: number): ArtifactView {
  return {
    id: `${agent.produces}-${index}`,
    type: agent.produces,
    name: agent.id,
    phase: agent.phase,
    content,
  };
}

function inputOf(
  idea: Idea,
  phase: string,
  artifacts: readonly ArtifactView[],
  reads?: readonly string[],
): AgentInput {
  const byType: Record<string, ArtifactView[]> = {};
  for (const a of artifacts) {
    if (reads !== undefined && !reads.includes(a.type)) continue;
    byType[a.type] = [...(byType[a.type] ?? []), a];
  }
  return { runId: 'run-fixture', phase, idea, artifacts: byType, hints: [], attempt: 1 };
}

/** The build phase's input for `idea`, with every upstream artifact the generator reads. */
export function buildInputFor(idea: Idea): AgentInput {
  const artifacts: ArtifactView[] = [];
  for (const agents of UPSTREAM_PHASES) {
    for (const agent of agents) {
      const output = agent.outputSchema.parse(
        agent.offline(inputOf(idea, agent.phase, artifacts, agent.reads)),
      );
      artifacts.push(view(agent, output, artifacts.length));
    }
  }
  return inputOf(idea, 'build', artifacts);
}

/** The same idea with no upstream artifacts: the generator must derive them. */
export function bareInputFor(idea: Idea): AgentInput {
  return inputOf(idea, 'build', []);
}
