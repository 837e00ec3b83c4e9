import type { AgentDefinition, ArtifactView } from '../core/agent.ts';

/**
 * What the orchestrator needs from the agents layer, injected by the composition root: agents
 * import orchestrator contracts, never the other way round (architecture.md §2).
 */

export interface GuardOutput {
  guardId: string;
  metrics: Record<string, number | boolean>;
  findings: Array<{ severity: 'error' | 'warning' | 'info'; message: string; artifactId?: string }>;
}

export interface PhaseGuard {
  readonly id: string;
  readonly phase: string;
  readonly metrics: readonly string[];
  evaluate(artifacts: readonly ArtifactView[]): GuardOutput;
}

export interface FixPlan {
  rubric: string;
  strategy: string;
  /** Agents to re-run; empty means "re-run the whole phase". */
  agents: readonly string[];
  hints: string[];
}

export interface GeneratedAgent {
  id: string;
  version: string;
  produces: string;
  purpose: string;
}

export interface AgentCatalog {
  getAgent(id: string): AgentDefinition;
  guardsFor(phase: string): readonly PhaseGuard[];
  fixPlanFor(failedReason: string): FixPlan;
  /**
   * Makes these agent ids resolvable, generating agents for capabilities no registered agent has
   * (the auto-doer). Returns the agents it generated.
   */
  ensureAgents?(ids: readonly string[]): Promise<GeneratedAgent[]>;
}
