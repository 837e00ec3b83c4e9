import type { AgentDefinition } from '../core/agent.ts';
import { IdeaMineError } from '../core/errors.ts';
import type { BuiltinPhaseName } from '../core/phases.ts';
import { aestheticAgents } from './aesthetic/agents.ts';
import { architectureAgents } from './architecture/agents.ts';
import { betaAgents } from './beta/agents.ts';
import { bizdevAgents } from './bizdev/agents.ts';
import { buildAgents } from './build/agents.ts';
import { critiqueAgents } from './critique/agents.ts';
import type { Guard } from './guards/guard.ts';
import { builtinGuards } from './guards/index.ts';
import { ideationAgents } from './ideation/agents.ts';
import { intakeAgents } from './intake/agents.ts';
import { prdAgents } from './prd/agents.ts';
import { qaAgents } from './qa/agents.ts';
import { releaseAgents } from './release/agents.ts';
import { securityAgents } from './security/agents.ts';
import { storyLoopAgents } from './story-loop/agents.ts';

/**
 * The built-in agents and guards, by phase. Phase YAML files name agents by id (`intake.classifier`)
 * and rubrics by guard metric (`ambiguity_max`); this is where those names resolve.
 */

/** Agents of each phase, in the order a sequential phase runs them (later ones read earlier outputs). */
export const PHASE_AGENTS: Readonly<Record<BuiltinPhaseName, readonly AgentDefinition[]>> = {
  intake: intakeAgents,
  ideation: ideationAgents,
  critique: critiqueAgents,
  prd: prdAgents,
  bizdev: bizdevAgents,
  architecture: architectureAgents,
  build: buildAgents,
  security: securityAgents,
  'story-loop': storyLoopAgents,
  qa: qaAgents,
  aesthetic: aestheticAgents,
  release: releaseAgents,
  beta: betaAgents,
};

export const builtinAgents: ReadonlyMap<string, AgentDefinition> = new Map(
  Object.values(PHASE_AGENTS).flatMap((agents) => agents.map((a) => [a.id, a] as const)),
);

/** An agent by `id` or `id@version`; throws NOT_FOUND listing the known ids. */
export function getAgent(ref: string): AgentDefinition {
  const [id = '', version] = ref.split('@');
  const agent = builtinAgents.get(id);
  if (agent === undefined) {
    throw new IdeaMineError(
      'NOT_FOUND',
      `unknown agent "${ref}"; known agents: ${[...builtinAgents.keys()].join(', ')}`,
      {
        details: { agent: ref },
      },
    );
  }
  if (version !== undefined && version !== agent.version) {
    throw new IdeaMineError('NOT_FOUND', `agent "${id}" has version ${agent.version}, not ${version}`, {
      details: { agent: ref },
    });
  }
  return agent;
}

export function agentsForPhase(phase: string): readonly AgentDefinition[] {
  return Object.hasOwn(PHASE_AGENTS, phase) ? PHASE_AGENTS[phase as BuiltinPhaseName] : [];
}

/** The guards that compute a phase's rubric metrics (one per built-in phase; none for unknown phases). */
export function guardsFor(phase: string): readonly Guard[] {
  return builtinGuards.filter((g) => g.phase === phase);
}

/** Metric names per phase, as the YAML rubrics must spell them (before `_max`, `_min`...). */
export function metricsFor(phase: string): readonly string[] {
  return guardsFor(phase).flatMap((g) => g.metrics);
}
