import type { AgentAssignment, PhasePlan } from '../core/schemas/phase-plan.ts';
import type { AgentCatalog } from './catalog.ts';

/**
 * Fan-out by parallelism mode. A wave is a set of agents dispatched together; a later wave sees the
 * outputs of earlier waves.
 * - `sequential` and `iterative`: one agent per wave, in the configured order.
 * - N: the agents in waves of N.
 * - `partial`: agents whose in-phase inputs are ready run together; an agent that reads what another
 *   agent of the phase produces waits for it.
 */
export function planWaves(
  plan: Pick<PhasePlan, 'parallelism' | 'agents'>,
  catalog: Pick<AgentCatalog, 'getAgent'>,
): AgentAssignment[][] {
  const agents = plan.agents;
  if (plan.parallelism === 'sequential' || plan.parallelism === 'iterative') return agents.map((a) => [a]);
  if (typeof plan.parallelism === 'number') {
    const size = Math.max(1, plan.parallelism);
    const waves: AgentAssignment[][] = [];
    for (let i = 0; i < agents.length; i += size) waves.push(agents.slice(i, i + size));
    return waves;
  }
  const producedBy = new Map<string, string[]>();
  for (const a of agents) {
    const type = catalog.getAgent(a.id).produces;
    producedBy.set(type, [...(producedBy.get(type) ?? []), a.id]);
  }
  const done = new Set<string>();
  const waves: AgentAssignment[][] = [];
  let remaining = [...agents];
  while (remaining.length > 0) {
    const ready = remaining.filter((a) =>
      catalog
        .getAgent(a.id)
        .reads.flatMap((t) => producedBy.get(t) ?? [])
        .every((producer) => producer === a.id || done.has(producer)),
    );
    // A cycle of reads inside the phase: fall back to running the rest in configured order.
    const wave = ready.length > 0 ? ready : remaining.slice(0, 1);
    waves.push(wave);
    for (const a of wave) done.add(a.id);
    remaining = remaining.filter((a) => !wave.includes(a));
  }
  return waves;
}

/**
 * The agents to re-run after a failed gate: the ones the fix plans name, plus every agent that reads
 * what a re-run agent produces (its input changed). Empty `named` means re-run all.
 */
export function rerunClosure(
  plan: Pick<PhasePlan, 'agents'>,
  named: readonly string[],
  catalog: Pick<AgentCatalog, 'getAgent'>,
): Set<string> {
  const ids = plan.agents.map((a) => a.id);
  const selected = new Set(named.filter((n) => ids.includes(n)));
  if (selected.size === 0) return new Set(ids);
  let grew = true;
  while (grew) {
    grew = false;
    const produced = new Set([...selected].map((id) => catalog.getAgent(id).produces));
    for (const id of ids) {
      if (selected.has(id)) continue;
      if (catalog.getAgent(id).reads.some((t) => produced.has(t))) {
        selected.add(id);
        grew = true;
      }
    }
  }
  return selected;
}
