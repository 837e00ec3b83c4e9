import { describe, expect, it } from 'vitest';
import { downstreamOf } from './orchestrator.ts';

const PLAN = [
  { phase: 'build', dependsOn: [] },
  { phase: 'security', dependsOn: ['build'] },
  { phase: 'story-loop', dependsOn: ['build'] },
  { phase: 'qa', dependsOn: ['security', 'story-loop'] },
  { phase: 'aesthetic', dependsOn: ['qa'] },
  { phase: 'release', dependsOn: ['aesthetic'] },
];

describe('retry scope: a phase and everything downstream of it', () => {
  it('takes the phase and its transitive dependents, in plan order, not its siblings', () => {
    expect(downstreamOf('security', PLAN)).toEqual(['security', 'qa', 'aesthetic', 'release']);
  });
  it('a leaf phase is only itself', () => {
    expect(downstreamOf('release', PLAN)).toEqual(['release']);
  });
  it('the root takes every phase', () => {
    expect(downstreamOf('build', PLAN)).toEqual(PLAN.map((p) => p.phase));
  });
});
