import type { Lineage, LineageDirection, LineageNode } from '../storage/lineage-store.ts';

/**
 * Lineage as people and programs read it: each artifact with its producer (agent@version, tool@version,
 * the user, the orchestrator), model, cost, content hash and time, and the artifacts it was made from.
 * The query lives in storage (`artifactLineage`); this module only describes and draws its result.
 */

export interface LineageEntry {
  id: string;
  runId: string;
  phase: string;
  type: string;
  name: string;
  /** Who made it: `agent@version`, `tool@version`, `user`, `aggregation:<strategy>`, `orchestrator:<by>`. */
  producer: string;
  model: string | null;
  /** What making it cost; null when nothing was paid (tools, the orchestrator, a carried copy). */
  costUsd: number | null;
  hash: string;
  createdAt: string;
  /** Shortest number of edges from the root. */
  depth: number;
  retracted: boolean;
  /** Set when the artifact is an unchanged copy from an earlier gate attempt. */
  carriedFrom: string | null;
  inputs: string[];
  /** The content hash each input had when read, when the producer recorded it. */
  inputHashes: Record<string, string>;
}

export interface LineageReport {
  root: string;
  direction: LineageDirection;
  artifacts: LineageEntry[];
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Who made an artifact, from its provenance. */
export function producerOf(provenance: Record<string, unknown>): string {
  const source = text(provenance['source']) ?? 'unknown';
  const executedBy = text(provenance['executedBy']);
  switch (source) {
    case 'agent':
      return `${text(provenance['agent']) ?? 'agent'}${executedBy ? ` (executed by ${executedBy})` : ''}`;
    case 'tool':
    case 'measure':
      return text(provenance['tool']) ?? source;
    case 'aggregation':
      return `aggregation:${text(provenance['strategy']) ?? 'unknown'}`;
    case 'orchestrator':
      return `orchestrator:${text(provenance['by']) ?? 'unknown'}`;
    default:
      return source;
  }
}

function hashesOf(provenance: Record<string, unknown>): Record<string, string> {
  const raw = provenance['inputHashes'];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return {};
  return Object.fromEntries(
    Object.entries(raw as Record<string, unknown>).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    ),
  );
}

/** Edges in walking order: an artifact's inputs (ancestors) or the artifacts that read it (descendants). */
function nextOf(
  items: ReadonlyArray<{ id: string; inputs: readonly string[] }>,
  direction: LineageDirection,
): Map<string, string[]> {
  const next = new Map<string, string[]>(items.map((n) => [n.id, []]));
  for (const item of items) {
    for (const input of item.inputs) {
      if (!next.has(input)) continue;
      if (direction === 'ancestors') next.get(item.id)?.push(input);
      else next.get(input)?.push(item.id);
    }
  }
  return next;
}

function depths(root: string, next: Map<string, string[]>): Map<string, number> {
  const depth = new Map([[root, 0]]);
  const queue = [root];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    const d = depth.get(id) ?? 0;
    for (const n of next.get(id) ?? []) {
      if (depth.has(n)) continue;
      depth.set(n, d + 1);
      queue.push(n);
    }
  }
  return depth;
}

function entryOf(node: LineageNode, depth: number): LineageEntry {
  const p = node.provenance;
  const carriedFrom = text(p['carriedFrom']);
  const cost = p['costUsd'];
  return {
    id: node.id,
    runId: node.runId,
    phase: node.phase,
    type: node.type,
    name: node.name,
    producer: producerOf(p),
    model: text(p['model']),
    // A carried copy repeats its source's provenance, cost included; it cost nothing itself.
    costUsd: carriedFrom === null && typeof cost === 'number' ? cost : null,
    hash: node.hash,
    createdAt: node.createdAt.toISOString(),
    depth,
    retracted: node.retracted,
    carriedFrom,
    inputs: node.inputs,
    inputHashes: hashesOf(p),
  };
}

/** The report `ideamine lineage --json` prints: the root first, then by distance from it, then by time. */
export function describeLineage(lineage: Lineage): LineageReport {
  const depth = depths(lineage.root.id, nextOf(lineage.nodes, lineage.direction));
  const artifacts = lineage.nodes
    .map((n) => entryOf(n, depth.get(n.id) ?? Number.POSITIVE_INFINITY))
    .sort((a, b) => a.depth - b.depth || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return { root: lineage.root.id, direction: lineage.direction, artifacts };
}

function label(e: LineageEntry): string {
  const parts = [
    e.producer,
    ...(e.model ? [`model ${e.model}`] : []),
    ...(e.costUsd === null ? [] : [`$${e.costUsd.toFixed(4)}`]),
    `sha256 ${e.hash.slice(0, 12)}`,
    e.createdAt,
    ...(e.carriedFrom ? [`carried from ${e.carriedFrom.slice(0, 8)}`] : []),
    ...(e.retracted ? ['RETRACTED'] : []),
  ];
  return `${e.type} "${e.name}" ${e.id.slice(0, 8)} [${e.phase}]  ${parts.join(' · ')}`;
}

/**
 * The lineage drawn as a tree. It is a DAG (the idea is an input of every agent), so an artifact is
 * expanded the first time it appears and named with "(above)" after that: the drawing grows with the
 * number of edges, not of paths. `maxDepth` stops the walk that many edges from the root.
 */
export function renderLineageTree(report: LineageReport, maxDepth = Number.POSITIVE_INFINITY): string[] {
  const byId = new Map(report.artifacts.map((a) => [a.id, a]));
  const next = nextOf(report.artifacts, report.direction);
  const root = byId.get(report.root);
  if (!root) return [];
  const word = report.direction === 'ancestors' ? 'made from' : 'read by';
  const lines = [
    `${report.direction} of ${root.type} ${root.id}: ${report.artifacts.length - 1} artifacts (${word})`,
    label(root),
  ];
  const expanded = new Set([root.id]);
  const walk = (id: string, prefix: string, depth: number) => {
    const children = next.get(id) ?? [];
    children.forEach((childId, i) => {
      const child = byId.get(childId) as LineageEntry;
      const last = i === children.length - 1;
      const seen = expanded.has(childId);
      const more = !seen && depth + 1 >= maxDepth && (next.get(childId) ?? []).length > 0;
      lines.push(
        `${prefix}${last ? '└─ ' : '├─ '}${seen ? `${child.type} "${child.name}" ${child.id.slice(0, 8)} (above)` : label(child)}${more ? ' …' : ''}`,
      );
      if (seen || depth + 1 >= maxDepth) return;
      expanded.add(childId);
      walk(childId, `${prefix}${last ? '   ' : '│  '}`, depth + 1);
    });
  };
  if (maxDepth > 0) walk(root.id, '', 0);
  return lines;
}
