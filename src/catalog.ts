import { join } from 'node:path';
import {
  agentFromSpec,
  type GeneratedAgentSpec,
  generateAgentSpec,
  validateGeneratedAgent,
} from './agents/auto-doer.ts';
import { fixPlanFor } from './agents/fix-hints.ts';
import { builtinAgents, guardsFor } from './agents/registry.ts';
import type { AgentDefinition } from './core/agent.ts';
import { ErrorCode, IdeaMineError } from './core/errors.ts';
import type { AgentCatalog, GeneratedAgent } from './orchestrator/catalog.ts';
import { AgentRegistryStore } from './storage/agent-registry-store.ts';
import type { Queryable } from './storage/database.ts';

/**
 * The agent catalog a runtime uses: the builtin agents, plus agents the auto-doer generated for
 * capabilities no builtin agent has. Generated agents are registered (versioned) in the agent
 * registry and rebuilt from their spec in any process; when the registry's source (the database) is
 * unreachable, its local cache file serves them.
 */
export class RuntimeCatalog implements AgentCatalog {
  readonly #generated = new Map<string, AgentDefinition>();
  readonly #store: AgentRegistryStore;
  #loaded = false;

  constructor(db: Queryable, home: string) {
    this.#store = new AgentRegistryStore(db, join(home, 'agent-registry.json'));
  }

  get servedFromCache(): boolean {
    return this.#store.lastLoadFromCache;
  }

  getAgent(id: string): AgentDefinition {
    const bare = id.split('@')[0] ?? id;
    const agent = builtinAgents.get(bare) ?? this.#generated.get(bare);
    if (!agent) {
      throw new IdeaMineError(
        ErrorCode.notFound,
        `unknown agent "${id}"; known agents: ${[...builtinAgents.keys(), ...this.#generated.keys()].join(', ')}`,
      );
    }
    return agent;
  }

  guardsFor = guardsFor;
  fixPlanFor = fixPlanFor;

  /** Makes every id resolvable: loads registered agents, and generates, validates and registers the missing ones. */
  async ensureAgents(ids: readonly string[]): Promise<GeneratedAgent[]> {
    const missing = () =>
      ids
        .map((id) => id.split('@')[0] ?? id)
        .filter((id) => !builtinAgents.has(id) && !this.#generated.has(id));
    if (missing().length === 0) return [];
    if (!this.#loaded) {
      for (const entry of await this.#store.loadAll()) this.#add(entry.spec as unknown as GeneratedAgentSpec);
      this.#loaded = !this.#store.lastLoadFromCache;
    }
    const created: GeneratedAgent[] = [];
    for (const id of [...new Set(missing())]) {
      const spec = generateAgentSpec(id);
      const agent = agentFromSpec(spec);
      validateGeneratedAgent(agent);
      await this.#store.register({
        id: spec.id,
        version: spec.version,
        phase: spec.phase,
        spec: spec as unknown as Record<string, unknown>,
      });
      this.#generated.set(spec.id, agent);
      created.push({ id: spec.id, version: spec.version, produces: spec.produces, purpose: spec.purpose });
    }
    return created;
  }

  #add(spec: GeneratedAgentSpec): void {
    this.#generated.set(spec.id, agentFromSpec(spec));
  }
}
