import type { Queryable } from './database.ts';
import { type ArtifactRecord, toArtifact } from './run-store.ts';

/**
 * Lineage: which artifacts an artifact was made from, and what was made from it. The edges are the
 * `inputs` array of each artifact's provenance, written in the same INSERT as the artifact itself, so an
 * artifact and its edges can never be stored apart. A recursive CTE walks them.
 *
 * Ancestors follow each artifact's own `inputs` to the primary key. Descendants look for artifacts
 * whose `inputs` contain an id (`@>`, which the `artifacts_inputs` GIN index of migration 0009 can
 * answer); lineage never leaves a run (every input is an artifact of the same run), so the search is
 * also bounded by the run.
 */

/** One artifact of a lineage, without its content (a SourceTree may be megabytes; lineage is about who and when). */
export interface LineageNode extends Omit<ArtifactRecord, 'content'> {
  /** Retracted by a compensation (a rolled-back stage): still part of the history, no longer current. */
  retracted: boolean;
  /** The artifact ids its provenance records as read, in recorded order. */
  inputs: string[];
}

export type LineageDirection = 'ancestors' | 'descendants';

export interface Lineage {
  root: LineageNode;
  direction: LineageDirection;
  /** Every artifact reachable from the root in `direction`, root included, each once. */
  nodes: LineageNode[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_SQL = "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'";
const NODE_COLUMNS = 'id, run_id, phase_id, type, name, hash, provenance, created_at, retracted_at';

/** Provenance `inputs` as a JSON array, whatever an old or foreign row holds there. */
const INPUTS_OF = (alias: string) =>
  `case jsonb_typeof(${alias}.provenance -> 'inputs') when 'array' then ${alias}.provenance -> 'inputs' else '[]'::jsonb end`;

/** The artifact ids a provenance records as read (only well-formed ids; anything else is not an edge). */
export function recordedInputs(provenance: Record<string, unknown>): string[] {
  const inputs = provenance['inputs'];
  if (!Array.isArray(inputs)) return [];
  return inputs.filter((i): i is string => typeof i === 'string' && UUID.test(i));
}

function toNode(r: Record<string, unknown>): LineageNode {
  const { content: _omitted, ...artifact } = toArtifact(r);
  return {
    ...artifact,
    retracted: r['retracted_at'] !== null && r['retracted_at'] !== undefined,
    inputs: recordedInputs(artifact.provenance),
  };
}

/** Artifact ids matching a full id or an id prefix (at most two: enough to tell "unique" from "ambiguous"). */
export async function findArtifactIds(q: Queryable, idOrPrefix: string): Promise<string[]> {
  const needle = idOrPrefix.toLowerCase();
  const rows = UUID.test(needle)
    ? await q.query<{ id: string }>('select id from artifacts where id = $1', [needle])
    : await q.query<{ id: string }>(
        `select id from artifacts where id::text like $1 || '%' order by created_at, id limit 2`,
        [needle],
      );
  return rows.map((r) => r.id);
}

/** The stored content hash of each of `ids` that is an artifact (retracted ones included). */
export async function artifactHashes(q: Queryable, ids: readonly string[]): Promise<Map<string, string>> {
  const wellFormed = ids.filter((id) => UUID.test(id));
  if (wellFormed.length === 0) return new Map();
  const rows = await q.query<{ id: string; hash: string }>(
    'select id, hash from artifacts where id = any($1::uuid[])',
    [wellFormed],
  );
  return new Map(rows.map((r) => [r.id, r.hash]));
}

/**
 * The lineage of one artifact: its ancestors (what it was made from, transitively) or its
 * descendants. Undefined when no artifact has that id. Each artifact appears once however many paths
 * reach it (`union`, not `union all`: the idea is an input of every agent, and enumerating paths would
 * grow with their number, not with the number of artifacts).
 */
export async function artifactLineage(
  q: Queryable,
  artifactId: string,
  direction: LineageDirection = 'ancestors',
): Promise<Lineage | undefined> {
  if (!UUID.test(artifactId)) return undefined;
  const roots = await q.query(`select ${NODE_COLUMNS} from artifacts where id = $1`, [artifactId]);
  if (!roots[0]) return undefined;
  const root = toNode(roots[0]);
  const rows =
    direction === 'ancestors'
      ? await q.query(
          `with recursive lineage (id) as (
             select $1::uuid
             union
             select input.id::uuid
               from lineage l
               join artifacts a on a.id = l.id
               cross join lateral jsonb_array_elements_text(${INPUTS_OF('a')}) as input (id)
              where input.id ~ ${UUID_SQL}
           )
           select ${NODE_COLUMNS} from artifacts where id in (select id from lineage) order by created_at, id`,
          [root.id],
        )
      : await q.query(
          `with recursive lineage (id) as (
             select $1::uuid
             union
             select d.id
               from lineage l
               join artifacts d on d.run_id = $2 and d.provenance -> 'inputs' @> jsonb_build_array(l.id::text)
           )
           select ${NODE_COLUMNS} from artifacts where id in (select id from lineage) order by created_at, id`,
          [root.id, root.runId],
        );
  return { root, direction, nodes: rows.map(toNode) };
}
