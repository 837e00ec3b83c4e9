import { describe, expect, it } from 'vitest';
import type { Lineage, LineageNode } from '../storage/lineage-store.ts';
import { describeLineage, producerOf, renderLineageTree } from './lineage.ts';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function node(
  n: number,
  type: string,
  provenance: Record<string, unknown>,
  inputs: number[] = [],
): LineageNode {
  return {
    id: id(n),
    runId: id(99),
    phase: type === 'Idea' ? 'input' : 'p',
    type,
    name: type.toLowerCase(),
    hash: `${n}`.repeat(64).slice(0, 64),
    provenance,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
    retracted: false,
    inputs: inputs.map(id),
  };
}

// idea ← spec ← prd ← dossier, and the dossier and the PRD also read the idea directly.
const idea = node(1, 'Idea', { source: 'user' });
const spec = node(
  2,
  'IdeaSpec',
  { source: 'agent', agent: 'intake.spec@1.0.0', model: 'offline', costUsd: 0 },
  [1],
);
const prd = node(
  3,
  'PRD',
  {
    source: 'agent',
    agent: 'prd.writer@1.0.0',
    model: 'openai:gpt-x',
    costUsd: 0.0123,
    inputHashes: { [id(2)]: 'h' },
  },
  [1, 2],
);
const dossier = node(
  4,
  'ReleaseDossier',
  { source: 'agent', agent: 'release.dossier-compiler@1.0.0' },
  [3, 1],
);

describe('producerOf', () => {
  it('names agents, tools, aggregation, the orchestrator and the user', () => {
    expect(producerOf({ source: 'agent', agent: 'qa.fixer@1.0.0' })).toBe('qa.fixer@1.0.0');
    expect(
      producerOf({ source: 'agent', agent: 'qa.fixer@1.0.0', executedBy: 'orchestrator.generalist@1.0.0' }),
    ).toBe('qa.fixer@1.0.0 (executed by orchestrator.generalist@1.0.0)');
    expect(producerOf({ source: 'tool', tool: 'test-runner@24.1.0' })).toBe('test-runner@24.1.0');
    expect(producerOf({ source: 'measure', tool: 'sbom@1.0.0' })).toBe('sbom@1.0.0');
    expect(producerOf({ source: 'aggregation', strategy: 'merge' })).toBe('aggregation:merge');
    expect(producerOf({ source: 'orchestrator', by: 'loop-until-pass' })).toBe(
      'orchestrator:loop-until-pass',
    );
    expect(producerOf({ source: 'user' })).toBe('user');
    expect(producerOf({})).toBe('unknown');
  });
});

describe('describeLineage', () => {
  const lineage: Lineage = { root: dossier, direction: 'ancestors', nodes: [idea, spec, prd, dossier] };

  it('orders by shortest distance from the root, then by time', () => {
    const report = describeLineage(lineage);
    expect(report.artifacts.map((a) => [a.type, a.depth])).toEqual([
      ['ReleaseDossier', 0],
      ['Idea', 1],
      ['PRD', 1],
      ['IdeaSpec', 2],
    ]);
    const p = report.artifacts.find((a) => a.type === 'PRD');
    expect(p).toMatchObject({
      producer: 'prd.writer@1.0.0',
      model: 'openai:gpt-x',
      costUsd: 0.0123,
      inputs: [id(1), id(2)],
      inputHashes: { [id(2)]: 'h' },
      createdAt: '2026-01-01T00:00:03.000Z',
    });
  });

  it('a carried copy is attributed no cost of its own', () => {
    const carried = node(5, 'PRD', { source: 'agent', costUsd: 0.5, carriedFrom: id(3) }, [3]);
    const report = describeLineage({
      root: carried,
      direction: 'ancestors',
      nodes: [carried, prd, spec, idea],
    });
    expect(report.artifacts[0]).toMatchObject({ costUsd: null, carriedFrom: id(3) });
    expect(report.artifacts.find((a) => a.id === id(3))?.costUsd).toBe(0.0123);
  });
});

describe('renderLineageTree', () => {
  const report = describeLineage({
    root: dossier,
    direction: 'ancestors',
    nodes: [idea, spec, prd, dossier],
  });

  it('expands each artifact once and names it "(above)" after that', () => {
    const lines = renderLineageTree(report);
    expect(lines[0]).toBe(`ancestors of ReleaseDossier ${id(4)}: 3 artifacts (made from)`);
    expect(lines[1]).toContain(
      'ReleaseDossier "releasedossier" 00000000 [p]  release.dossier-compiler@1.0.0',
    );
    expect(lines.slice(2).map((l) => l.replace(/\] {2}.*$/, ']'))).toEqual([
      '├─ PRD "prd" 00000000 [p]',
      '│  ├─ Idea "idea" 00000000 [input]',
      '│  └─ IdeaSpec "ideaspec" 00000000 [p]',
      '│     └─ Idea "idea" 00000000 (above)',
      '└─ Idea "idea" 00000000 (above)',
    ]);
    expect(lines[2]).toContain(
      'model openai:gpt-x · $0.0123 · sha256 333333333333 · 2026-01-01T00:00:03.000Z',
    );
  });

  it('stops at --depth, marking what was not expanded', () => {
    const lines = renderLineageTree(report, 1);
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^├─ PRD .* …$/);
    expect(lines[3]).toMatch(/^└─ Idea "idea" .*user/);
    expect(renderLineageTree(report, 0)).toHaveLength(2);
  });

  it('draws descendants the other way round', () => {
    const down = describeLineage({ root: spec, direction: 'descendants', nodes: [spec, prd, dossier] });
    const lines = renderLineageTree(down).map((l) => l.replace(/\] {2}.*$/, ']'));
    expect(lines[0]).toBe(`descendants of IdeaSpec ${id(2)}: 2 artifacts (read by)`);
    expect(lines.slice(2)).toEqual([
      '└─ PRD "prd" 00000000 [p]',
      '   └─ ReleaseDossier "releasedossier" 00000000 [p]',
    ]);
  });
});
