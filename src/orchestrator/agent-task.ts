import { z } from 'zod';
import type { AgentInput, ArtifactView, Idea } from '../core/agent.ts';
import { invalidInput } from '../core/errors.ts';
import { sha256 } from '../core/ids.ts';
import type { TaskContext, TaskHandler } from '../engine/worker-pool.ts';
import type { Model } from '../llm/model.ts';
import type { Database } from '../storage/database.ts';
import { getRun, listArtifacts } from '../storage/run-store.ts';
import { BudgetAccount, estimateTokens } from './budget.ts';
import type { AgentCatalog } from './catalog.ts';

/**
 * `agent.run`: one agent, one model call. The task's stored result is the model's answer, so a
 * resumed phase never pays for the same call twice (the idempotency key finds the finished task).
 * Budget is reserved before the call and settled after it; the worker keeps heartbeating while the
 * model thinks.
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
  hints: z.array(z.string()),
  model: z.string().optional(),
  temperature: z.number().optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  /** Outputs of agents earlier in this phase attempt (sequential and partial phases). */
  phaseArtifacts: z.array(artifactViewSchema),
  shard: z
    .object({ index: z.number().int(), count: z.number().int(), key: z.string().optional() })
    .optional(),
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
}

export interface AgentTaskDeps {
  db: Database;
  catalog: AgentCatalog;
  /** The model for an agent: its per-agent override, else the run's default. */
  modelFor(spec: string | undefined): Model;
}

export function createAgentTaskHandler(deps: AgentTaskDeps): TaskHandler {
  return async (ctx: TaskContext): Promise<AgentTaskResult> => {
    const parsed = agentTaskInput.safeParse(ctx.task.input);
    if (!parsed.success)
      throw invalidInput(
        `agent.run input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const input = parsed.data;
    const agent = deps.catalog.getAgent(input.agentId);
    const agentInput = await buildAgentInput(deps.db, input, agent.reads);
    const prompt = agent.prompt(agentInput);
    const model = deps.modelFor(input.model);
    const budget = new BudgetAccount(deps.db, input.runId, input.phase);
    const reserved = {
      tokens: estimateTokens(agent.system + prompt, input.maxOutputTokens ?? 2_000),
      usd: 0,
    };
    await budget.reserve(reserved, ctx.task.id);
    ctx.progress({ pct: 10, note: `calling ${model.id}` });
    let response: Awaited<ReturnType<Model['generate']>>;
    try {
      response = await model.generate({
        agent: { id: agent.id, version: agent.version },
        system: agent.system,
        prompt,
        schema: agent.outputSchema,
        offline: () => agent.offline(agentInput),
        signal: ctx.signal,
        ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
        ...(input.maxOutputTokens === undefined ? {} : { maxOutputTokens: input.maxOutputTokens }),
      });
    } catch (error) {
      await budget.settle(reserved, { tokens: 0, usd: 0 });
      throw error;
    }
    const spent = { tokens: response.usage.inputTokens + response.usage.outputTokens, usd: response.costUsd };
    await budget.settle(reserved, spent);
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
    };
  };
}

/** The idea, the upstream artifacts the agent reads (latest gate attempt of each phase) and this phase's earlier outputs. */
export async function buildAgentInput(
  db: Database,
  input: AgentTaskInput,
  reads: readonly string[],
): Promise<AgentInput> {
  const run = await getRun(db, input.runId);
  if (!run) throw invalidInput(`run ${input.runId} does not exist`);
  const upstream = latestArtifacts(await listArtifacts(db, input.runId)).filter(
    (a) => a.phase !== input.phase,
  );
  const wanted = new Set(reads);
  const artifacts: Record<string, ArtifactView[]> = {};
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
  }
  return {
    runId: input.runId,
    phase: input.phase,
    idea: run.idea as unknown as Idea,
    artifacts,
    hints: input.hints,
    attempt: input.gateAttempt,
    ...(input.shard ? { shard: input.shard } : {}),
  };
}

/** For each phase, only the artifacts of its last gate attempt (earlier attempts were superseded). */
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
