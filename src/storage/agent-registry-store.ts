import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Queryable } from './database.ts';

/**
 * The agent registry's storage: the `agent_registry` table is the source; a JSON file is the local
 * cache, written on every load and registration, read when the source cannot be reached.
 */
export interface RegisteredAgent {
  id: string;
  version: string;
  phase: string;
  spec: Record<string, unknown>;
}

export class AgentRegistryStore {
  readonly #db: Queryable;
  readonly #cacheFile: string;
  /** Set when the last load came from the cache because the source failed. */
  lastLoadFromCache = false;

  constructor(db: Queryable, cacheFile: string) {
    this.#db = db;
    this.#cacheFile = cacheFile;
  }

  async loadAll(): Promise<RegisteredAgent[]> {
    try {
      const rows = await this.#db.query<{
        id: string;
        version: string;
        phase: string;
        spec: Record<string, unknown>;
      }>('select id, version, phase, spec from agent_registry order by id, created_at');
      this.lastLoadFromCache = false;
      this.#writeCache(rows);
      return rows;
    } catch {
      this.lastLoadFromCache = true;
      return this.#readCache();
    }
  }

  async register(agent: RegisteredAgent): Promise<void> {
    await this.#db.query(
      'insert into agent_registry (id, version, phase, spec) values ($1, $2, $3, $4) on conflict (id, version) do nothing',
      [agent.id, agent.version, agent.phase, JSON.stringify(agent.spec)],
    );
    const cached = this.#readCache().filter((a) => !(a.id === agent.id && a.version === agent.version));
    this.#writeCache([...cached, agent]);
  }

  #readCache(): RegisteredAgent[] {
    if (!existsSync(this.#cacheFile)) return [];
    try {
      return JSON.parse(readFileSync(this.#cacheFile, 'utf8')) as RegisteredAgent[];
    } catch {
      return [];
    }
  }

  #writeCache(agents: readonly RegisteredAgent[]): void {
    try {
      mkdirSync(dirname(this.#cacheFile), { recursive: true });
      const tmp = `${this.#cacheFile}.tmp`;
      writeFileSync(tmp, JSON.stringify(agents, null, 2));
      renameSync(tmp, this.#cacheFile); // atomic: a reader never sees half a file
    } catch {
      // The cache is an optimisation for outages; failing to write it must not fail the run.
    }
  }
}
