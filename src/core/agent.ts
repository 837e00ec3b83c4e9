import type { z } from 'zod';

/**
 * The agent contract (architecture.md §5). An agent is a definition, not a process: the same
 * definition runs on any `Model`. Its `offline` synthesizer is what the deterministic offline model
 * runs; real providers use `system` + `prompt` and validate against `outputSchema`.
 */

/** The idea a run starts from. */
export interface Idea {
  title: string;
  description: string;
  /** Optional structured hints from `--file idea.json`. */
  audience?: string;
  constraints?: string[];
}

/** An upstream artifact as an agent sees it. */
export interface ArtifactView {
  id: string;
  type: string;
  name: string;
  phase: string;
  content: unknown;
}

export interface AgentInput {
  runId: string;
  phase: string;
  idea: Idea;
  /** Upstream artifacts selected by the agent's `reads`, keyed by artifact type. */
  artifacts: Record<string, ArtifactView[]>;
  /** Auto-fix hints from a failed gate (e.g. "add personas until 3"), empty on the first attempt. */
  hints: string[];
  /** Which gate attempt this is (1-based). */
  attempt: number;
  /** For fan-out: which slice of the work this task covers (e.g. a story or module id). */
  shard?: { index: number; count: number; key?: string };
}

export interface AgentDefinition<O = unknown> {
  /** `<phase>.<name>`, e.g. `intake.classifier`. */
  readonly id: string;
  readonly version: string;
  readonly phase: string;
  readonly purpose: string;
  /** Artifact types it reads from upstream phases (and earlier agents of its phase). */
  readonly reads: readonly string[];
  /** The artifact type it produces, e.g. `IdeaSpec`. */
  readonly produces: string;
  /** Tool ids it may call (must be allowlisted by the phase config). */
  readonly tools: readonly string[];
  readonly system: string;
  prompt(input: AgentInput): string;
  readonly outputSchema: z.ZodType<O>;
  /** Deterministic, idea-specific output for the offline model: same input, same output. */
  offline(input: AgentInput): O;
}

export function agentRef(agent: Pick<AgentDefinition, 'id' | 'version'>): string {
  return `${agent.id}@${agent.version}`;
}
