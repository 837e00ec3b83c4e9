import { z } from 'zod';
import type { AgentInput, ArtifactView, Idea } from '../core/agent.ts';
import { invalidInput } from '../core/errors.ts';
import { sha256 } from '../core/ids.ts';
import type { TaskContext, TaskHandler } from '../engine/worker-pool.ts';
import type { Model } from '../llm/model.ts';
import type { Database } from '../storage/database.ts';
import { AgentInputSource } from './agent-input-source.ts';
import { BudgetAccount, estimateTokens } from './budget.ts';
import type { AgentCatalog } from './catalog.ts';
import { callModelOnce, modelCallKey } from './paid-model-call.ts';

/**
 * `agent.run`: one agent, one model call. The task's stored result is the model's answer, so a
 * resumed phase never pays for the same call twice (the idempotency key finds the finished task).
 * Budget is reserved before the call and settled after it, with the answer stored in the task's
 * checkpoint, so a re-claimed attempt after a crash reuses it (paid-model-call.ts); the worker keeps
 * heartbeating while the model thinks.
 */
export const AGENT_TASK = 'agent.run';

const artifactViewSchema = z.object({
  id: z.string(),
  type: z.string(),
  name: z.string(),
  phase: z.string(),
  content: z.unknown(),
});

export const agentTaskInput = z.object({
  runId: z.uuid(),
  phase: z.string().min(1),
  agentId: z.string().min(1),
  agentVersion: z.string().min(1),
  gateAttempt: z.number().int().min(1),
  /**
   * The phase's retry generation (0 until an operator retries it). With it, agents of one phase
   * attempt share one read of their upstream artifacts (agent-input-source.ts); without it, each reads.
   */
  generation: z.number().int().min(0).optional(),
  hints: z.array(z.string()),
  model: z.string().optional(),
  temperature: z.number().optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  /** Outputs of agents earlier in this phase attempt (sequential and partial phases). */
  phaseArtifacts: z.array(artifactViewSchema),
  shard: z
    .object({ index: z.number().int(), count: z.number().int(), key: z.string().optional() })
    .optional(),
  /** The phase's heartbeat interval, for the supervisor's missed-heartbeat count. */
  heartbeatSeconds: z.number().positive().optional(),
  /** Set by the supervisor when it took a stalled attempt away: the unsticker rung to apply. */
  unstick: z.object({ strategy: z.string(), rung: z.number().int(), reason: z.string() }).optional(),
});
export type AgentTaskInput = z.infer<typeof agentTaskInput>;

export interface AgentTaskResult {
  agentId: string;
  agentVersion: string;
  artifactType: string;
  output: unknown;
  model: string;
  usage: { inputTokens: number; outputTokens: number };
  costUsd: number;
  latencyMs: number;
  promptHash: string;
  executedBy?: string;
  selfExecuted?: boolean;
  unstick?: { strategy: string; rung: number; reason: string };
  /** The model call's step key: the one logical call this result was paid for (see paid-model-call.ts). */
  stepKey?: string;
  /** Ids of what the agent's input carried: the idea artifact and each upstream artifact selected. */
  inputs?: string[];
}

export interface AgentTaskDeps {
  db: Database;
  catalog: AgentCatalog;
  /** The model for an agent: its per-agent override, else the run's default. */
  modelFor(spec: string | undefined): Model;
  /** The next model down the fallback ladder from `spec` (the unsticker's fallback-model rung). */
  fallbackModel?(spec: string | undefined): Model | undefined;
}

export function createAgentTaskHandler(deps: AgentTaskDeps): TaskHandler {
  const source = new AgentInputSource();
  return async (ctx: TaskContext): Promise<AgentTaskResult> => {
    const parsed = agentTaskInput.safeParse(ctx.task.input);
    if (!parsed.success)
      throw invalidInput(
        `agent.run input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const input = parsed.data;
    await deps.catalog.ensureAgents?.([input.agentId]);
    const agent = deps.catalog.getAgent(input.agentId);
    const { input: agentInput, read } = await selectAgentInput(deps.db, input, agent.reads, source);
    const plan = applyUnstick(input, deps);
    agentInput.hints = [...agentInput.hints, ...plan.hints];
    const prompt = agent.prompt(agentInput);
    const model = plan.model;
    const budget = new BudgetAccount(deps.db, input.runId, input.phase);
    const reserved = { tokens: estimateTokens(agent.system + prompt, plan.maxOutputTokens ?? 2_000), usd: 0 };
    const stepKey = modelCallKey(ctx.task.id, {
      model: model.id,
      system: agent.system,
      prompt,
      ...(plan.temperature === undefined ? {} : { temperature: plan.temperature }),
      ...(plan.maxOutputTokens === undefined ? {} : { maxOutputTokens: plan.maxOutputTokens }),
    });
    ctx.progress({ pct: 10, note: `calling ${model.id}` });
    // Pay once (paid-model-call.ts): an earlier attempt's stored answer is reused, its reservation released.
    const { response } = await callModelOnce(
      deps.db,
      { stepKey, fence: { taskId: ctx.task.id, attempt: ctx.task.attempt }, budget, reserve: reserved },
      () =>
        model.generate({
          agent: { id: agent.id, version: agent.version },
          system: agent.system,
          prompt,
          schema: agent.outputSchema,
          offline: () => agent.offline(agentInput),
          signal: ctx.signal,
          ...(plan.temperature === undefined ? {} : { temperature: plan.temperature }),
          ...(plan.maxOutputTokens === undefined ? {} : { maxOutputTokens: plan.maxOutputTokens }),
        }),
    );
    return {
      agentId: agent.id,
      agentVersion: agent.version,
      artifactType: agent.produces,
      output: response.output,
      model: response.model,
      usage: response.usage,
      costUsd: response.costUsd,
      latencyMs: response.latencyMs,
      promptHash: sha256(agent.system + prompt),
      stepKey,
      inputs: read,
      ...(plan.selfExecuted ? { executedBy: GENERALIST, selfExecuted: true } : {}),
      ...(input.unstick ? { unstick: input.unstick } : {}),
    };
  };
}

/** The orchestrator's generalist: completes a blocking task from the agent's own contract, deterministically. */
export const GENERALIST = 'orchestrator.generalist@1.0.0';

interface ExecutionPlan {
  model: Model;
  temperature: number | undefined;
  maxOutputTokens: number | undefined;
  hints: string[];
  selfExecuted: boolean;
}

/**
 * How this attempt runs, given the unsticker rung the supervisor chose (if any):
 * - smaller-batch: half the output budget, and a hint to keep the output small;
 * - fallback-model: the next model of the fallback ladder, at temperature 0;
 * - stricter-prompt: temperature 0 and a schema-only instruction;
 * - chunk: work in bounded chunks (a hint; the agent's output is still one artifact);
 * - self-execution: the generalist completes the task with the deterministic offline synthesizer,
 *   marked as such in the result and the artifact's provenance.
 */
export function applyUnstick(
  input: AgentTaskInput,
  deps: Pick<AgentTaskDeps, 'modelFor' | 'fallbackModel'>,
): ExecutionPlan {
  const base: ExecutionPlan = {
    model: deps.modelFor(input.model),
    temperature: input.temperature,
    maxOutputTokens: input.maxOutputTokens,
    hints: [],
    selfExecuted: false,
  };
  switch (input.unstick?.strategy) {
    case 'smaller-batch':
      return {
        ...base,
        maxOutputTokens: Math.max(256, Math.floor((input.maxOutputTokens ?? 2_000) / 2)),
        hints: ['unstick: keep the output small: the fewest items that satisfy the schema'],
      };
    case 'fallback-model': {
      const fallback = deps.fallbackModel?.(input.model);
      return fallback ? { ...base, model: fallback, temperature: 0 } : { ...base, temperature: 0 };
    }
    case 'stricter-prompt':
      return {
        ...base,
        temperature: 0,
        hints: ['unstick: answer with JSON matching the schema only; no commentary; be concise'],
      };
    case 'schema-repair':
      // The fix agent: the previous attempt's output failed validation even after one repair.
      return {
        ...base,
        temperature: 0,
        hints: [
          `fix: the previous output did not match the schema (${input.unstick.reason}); return JSON that satisfies every field of the schema`,
        ],
      };
    case 'fallback-tool':
      return {
        ...base,
        hints: [
          'unstick: the tool failed; use the alternate allowlisted tool or work from the provided artifacts',
        ],
      };
    case 'chunk':
      return {
        ...base,
        hints: [
          'unstick: work in chunks of at most 5 items; make each chunk complete and consistent on its own',
        ],
      };
    case 'self-execution':
      return { ...base, model: deps.modelFor('offline'), temperature: 0, selfExecuted: true };
    default:
      return base;
  }
}

/** The idea, the upstream artifacts the agent reads (latest gate attempt of each phase) and this phase's earlier outputs. */
export async function buildAgentInput(
  db: Database,
  input: AgentTaskInput,
  reads: readonly string[],
): Promise<AgentInput> {
  return (await selectAgentInput(db, input, reads)).input;
}

/**
 * The agent's input and the ids of what it carries, for provenance: the idea artifact (every prompt
 * states the idea) and each artifact selected by `reads`, in the order the agent sees them.
 */
export async function selectAgentInput(
  db: Database,
  input: AgentTaskInput,
  reads: readonly string[],
  source: AgentInputSource = new AgentInputSource({ maxEntries: 0 }),
): Promise<{ input: AgentInput; read: string[] }> {
  const { idea, artifacts: selected } = await source.read(
    db,
    {
      runId: input.runId,
      phase: input.phase,
      gateAttempt: input.gateAttempt,
      generation: input.generation,
    },
    [IDEA_ARTIFACT, ...reads],
  );
  const upstream = stableOrder(selected);
  const wanted = new Set(reads);
  const artifacts: Record<string, ArtifactView[]> = {};
  const read = upstream.filter((a) => a.type === IDEA_ARTIFACT).map((a) => a.id);
  for (const a of [...upstream, ...input.phaseArtifacts]) {
    if (!wanted.has(a.type)) continue;
    const list = artifacts[a.type] ?? [];
    list.push({
      id: a.id,
      type: a.type,
      name: a.name,
      phase: a.phase,
      content: a.content,
    });
    artifacts[a.type] = list;
    read.push(a.id);
  }
  return {
    input: {
      runId: input.runId,
      phase: input.phase,
      idea: idea as unknown as Idea,
      artifacts,
      hints: input.hints,
      attempt: input.gateAttempt,
      ...(input.shard ? { shard: input.shard } : {}),
    },
    read,
  };
}

/** The artifact type of the idea a run starts from (stored when the run is created). */
const IDEA_ARTIFACT = 'Idea';

/** For each phase, only the artifacts of its last gate attempt (earlier attempts were superseded). */
/**
 * Artifacts in an order that does not depend on timing: phases of one DAG level (security ∥
 * story-loop) finish in any order, but agents and the Q/A/V triad must see the same sequence in every
 * run so that prompts — and recorded model calls — are reproducible.
 */
export function stableOrder<T extends { phase: string; name: string; type: string }>(
  artifacts: readonly T[],
): T[] {
  const key = (a: T) => `${a.phase}\u0000${a.name}\u0000${a.type}`;
  return [...artifacts].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function latestArtifacts<T extends { phase: string; provenance: Record<string, unknown> }>(
  artifacts: readonly T[],
): T[] {
  const lastAttempt = new Map<string, number>();
  for (const a of artifacts) {
    const attempt = Number(a.provenance['gateAttempt'] ?? 1);
    lastAttempt.set(a.phase, Math.max(lastAttempt.get(a.phase) ?? 0, attempt));
  }
  return artifacts.filter((a) => Number(a.provenance['gateAttempt'] ?? 1) === lastAttempt.get(a.phase));
}
