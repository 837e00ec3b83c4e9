import { invalidInput } from '../core/errors.ts';
import type { Queryable } from '../storage/database.ts';
import { type ArtifactRecord, readAgentInputSource } from '../storage/run-store.ts';

/**
 * The upstream half of an agent's input (the run's idea and the artifacts of the other phases'
 * last gate attempts), read with one statement that selects only the artifact types asked for,
 * and kept per phase attempt in the worker process so the agents of one attempt read it once.
 *
 * Why (run, phase, generation, gate attempt) is a sufficient key: a phase is dispatched only after
 * the phases it depends on have passed, and their artifacts are never rewritten (a new gate attempt
 * or a retried generation writes new rows). So within one attempt of one generation of a phase, the
 * upstream an agent should see cannot change; a later attempt or generation is a different key, and
 * never gets an older entry. The generation is what separates an operator's retry (which resets gate
 * attempts to 1 and re-runs upstream phases) from the attempt it replaces: a task input without it
 * is never cached. Within an entry, each artifact type is read the first time an agent asks for it.
 */

export interface UpstreamArtifacts {
  idea: Record<string, unknown>;
  /**
   * The selected artifacts, grouped by type in the order asked, each type in storage order
   * (created_at, id): callers order them with `stableOrder`, whose key includes the type, so ties
   * keep storage order exactly as they would after one read of all types.
   */
  artifacts: ArtifactRecord[];
}

export interface AttemptKey {
  runId: string;
  phase: string;
  gateAttempt: number;
  generation?: number | undefined;
}

interface Entry {
  idea: Record<string, unknown>;
  byType: Map<string, ArtifactRecord[]>;
}

const DEFAULT_MAX_ENTRIES = 32;

export class AgentInputSource {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;

  constructor(options: { maxEntries?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  async read(db: Queryable, key: AttemptKey, wanted: readonly string[]): Promise<UpstreamArtifacts> {
    const types = [...new Set(wanted)];
    const cacheKey =
      key.generation === undefined
        ? undefined
        : `${key.runId}\u0000${key.phase}\u0000${key.generation}\u0000${key.gateAttempt}`;
    const cached = cacheKey === undefined ? undefined : this.#entries.get(cacheKey);
    const missing = cached ? types.filter((t) => !cached.byType.has(t)) : [...types];
    const entry = cached ?? { idea: {}, byType: new Map<string, ArtifactRecord[]>() };
    if (!cached || missing.length > 0) {
      const source = await readAgentInputSource(db, key.runId, key.phase, missing);
      if (!source) throw invalidInput(`run ${key.runId} does not exist`);
      entry.idea = source.idea;
      for (const t of missing) entry.byType.set(t, []);
      for (const a of source.artifacts) entry.byType.get(a.type)?.push(a);
    }
    if (cacheKey !== undefined) this.#remember(cacheKey, entry);
    // Copies, so no agent can alter what the next one reads.
    return structuredClone({ idea: entry.idea, artifacts: types.flatMap((t) => entry.byType.get(t) ?? []) });
  }

  /** Most recently used last; the oldest entry goes when the map is full. */
  #remember(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
}
