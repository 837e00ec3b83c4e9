import { PHASE_NAMES } from '../core/phases.ts';

/**
 * The phase dependency graph: `deps` maps each phase to the phases it depends on. Pure functions,
 * shared by the config loader (validation) and the run planner (levels).
 */
export type PhaseDeps = ReadonlyMap<string, readonly string[]>;

const CANONICAL_INDEX = new Map<string, number>(PHASE_NAMES.map((name, index) => [name, index]));

/** Builtin phases in their canonical order, then added phases by name: a stable tie-break. */
export function comparePhaseNames(a: string, b: string): number {
  const ia = CANONICAL_INDEX.get(a) ?? Number.MAX_SAFE_INTEGER;
  const ib = CANONICAL_INDEX.get(b) ?? Number.MAX_SAFE_INTEGER;
  return ia !== ib ? ia - ib : a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The first dependency cycle found, as a path that starts and ends on the same phase
 * (`['qa', 'aesthetic', 'qa']`: qa depends on aesthetic, which depends on qa), or undefined.
 * Dependencies on unknown phases are ignored here; they are reported separately.
 */
export function findCycle(deps: PhaseDeps): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];

  const visit = (phase: string): string[] | undefined => {
    state.set(phase, 'visiting');
    stack.push(phase);
    for (const dep of [...(deps.get(phase) ?? [])].sort(comparePhaseNames)) {
      if (!deps.has(dep)) continue;
      const seen = state.get(dep);
      if (seen === 'visiting') return [...stack.slice(stack.indexOf(dep)), dep];
      if (seen === undefined) {
        const cycle = visit(dep);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(phase, 'done');
    return undefined;
  };

  for (const phase of [...deps.keys()].sort(comparePhaseNames)) {
    if (state.has(phase)) continue;
    const cycle = visit(phase);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * Groups an acyclic graph into levels: a phase sits one level below its deepest dependency, so
 * every phase of a level can start once the levels above have passed. With the builtin config,
 * security and story-loop share a level. Throws on a cycle (validate with `findCycle` first).
 */
export function phaseLevels(deps: PhaseDeps): string[][] {
  const level = new Map<string, number>();
  const resolving = new Set<string>();

  const levelOf = (phase: string): number => {
    const known = level.get(phase);
    if (known !== undefined) return known;
    if (resolving.has(phase)) throw new Error(`dependency cycle through "${phase}"`);
    resolving.add(phase);
    let depth = 0;
    for (const dep of deps.get(phase) ?? []) {
      if (deps.has(dep)) depth = Math.max(depth, levelOf(dep) + 1);
    }
    resolving.delete(phase);
    level.set(phase, depth);
    return depth;
  };

  const levels: string[][] = [];
  for (const phase of [...deps.keys()].sort(comparePhaseNames)) {
    const depth = levelOf(phase);
    const names = levels[depth] ?? [];
    names.push(phase);
    levels[depth] = names;
  }
  return levels.map((names) => names.sort(comparePhaseNames));
}
