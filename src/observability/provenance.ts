import type { Queryable } from '../storage/database.ts';
import { artifactHashes } from '../storage/lineage-store.ts';

/** What an artifact was made from, as its provenance records it: the edges `ideamine lineage` walks. */
export interface InputProvenance {
  /** Ids of the stored artifacts read, first-read order, each once. */
  inputs: string[];
  /** The content hash of each input as stored when it was read. */
  inputHashes: Record<string, string>;
}

/**
 * The provenance fields for `ids` read: only ids that are stored artifacts become inputs. A view made
 * up for a prompt (a fixer's workspace snapshot, id `workspace`) is not an artifact and has no hash to
 * pin, so it is left out rather than recorded as an edge to nothing.
 */
export async function inputProvenance(q: Queryable, ids: readonly string[]): Promise<InputProvenance> {
  const unique = [...new Set(ids)];
  const hashes = await artifactHashes(q, unique);
  const inputs = unique.filter((id) => hashes.has(id));
  return { inputs, inputHashes: Object.fromEntries(inputs.map((id) => [id, hashes.get(id) as string])) };
}
