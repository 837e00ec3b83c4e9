import { describe, expect, it } from 'vitest';
import { findCycle, phaseLevels } from './phase-graph.ts';

describe('phase graph', () => {
  it('levels a diamond and orders each level canonically', () => {
    const deps = new Map([
      ['qa', ['story-loop', 'security']],
      ['story-loop', ['build']],
      ['security', ['build']],
      ['build', []],
      ['zeta', ['build']],
    ]);
    expect(findCycle(deps)).toBeUndefined();
    expect(phaseLevels(deps)).toEqual([['build'], ['security', 'story-loop', 'zeta'], ['qa']]);
  });

  it('reports a cycle as a closed path, including a self-loop', () => {
    expect(findCycle(new Map([['a', ['a']]]))).toEqual(['a', 'a']);
    const deps = new Map([
      ['intake', []],
      ['b', ['intake', 'c']],
      ['c', ['d']],
      ['d', ['b']],
    ]);
    expect(findCycle(deps)).toEqual(['b', 'c', 'd', 'b']);
    expect(() => phaseLevels(deps)).toThrow(/cycle/);
  });
});
