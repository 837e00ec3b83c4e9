import type { ArtifactView } from '../core/agent.ts';
import { ErrorClass, ErrorCode, IdeaMineError, type SerializedError } from '../core/errors.ts';
import { canonicalJson, hashOf, sha256 } from '../core/ids.ts';
import type { AgentAssignment, PhasePlan } from '../core/schemas/phase-plan.ts';
import { appendLedgerEntries } from '../observability/ledger.ts';
import { inputProvenance } from '../observability/provenance.ts';
import type { TaskQueue, TaskState } from '../queue/task-queue.ts';
import type { Database } from '../storage/database.ts';
import { type ArtifactRecord, insertArtifact } from '../storage/run-store.ts';
import { AGENT_TASK, type AgentTaskInput, type AgentTaskResult } from './agent-task.ts';
import type { AgentCatalog } from './catalog.ts';
import { emit } from './events.ts';
import { type Interruption, waitForTasks } from './task-waiter.ts';

export type { Interruption } from './task-waiter.ts';

/**
 * Dispatch: TaskSpecs on the queue, wave by wave, and their outputs stored as artifacts as each wave
 * finishes. Every write is idempotent (tasks by idempotency key, artifacts by "task:<id>"), so a
 * coordinator that crashed mid-dispatch re-runs this and only waits for what is still running.
 */

export interface DispatchRequest {
  runId: string;
  phase: string;
  phaseRowId: string;
  gateAttempt: number;
  plan: PhasePlan;
  waves: AgentAssignment[][];
  hints: string[];
  /** Agents to run this attempt; the others carry their previous attempt's artifact forward. */
  rerun: ReadonlySet<string>;
  previous: readonly ArtifactRecord[];
  /** Extra inputs every task of this dispatch sees (a fixer's failing test reports and workspace files). */
  context?: readonly ArtifactView[];
  /** Run these tasks with an unsticker strategy from the start (heal uses self-execution). */
  unstick?: { strategy: string; rung: number; reason: string };
  /** Returns 'pause' or 'cancel' when the coordinator should stop waiting. */
  interrupted(): Promise<Interruption | undefined>;
  onProgress(done: number, total: number): Promise<void>;
}

export interface DispatchOutcome {
  artifacts: ArtifactRecord[];
  failed: Array<{ agentId: string; taskId: string; error: SerializedError | null; state: TaskState }>;
  interrupted?: Interruption;
  taskIds: string[];
}

export interface DispatchDeps {
  db: Database;
  queue: TaskQueue;
  catalog: AgentCatalog;
  /** How often a waiting wave re-reads its open tasks whatever woke it (task-waiter.ts); default 5 s. */
  safetyRecheckMs?: number;
}

export async function dispatchPhase(deps: DispatchDeps, req: DispatchRequest): Promise<DispatchOutcome> {
  const artifacts: ArtifactRecord[] = [];
  const failed: DispatchOutcome['failed'] = [];
  const taskIds: string[] = [];
  const total = req.plan.agents.length;
  for (const wave of req.waves) {
    const views = [...(req.context ?? []), ...artifacts.map(toView)];
    const running: Array<{ agent: AgentAssignment; taskId: string }> = [];
    for (const agent of wave) {
      if (!req.rerun.has(agent.id)) {
        const carried = await carryForward(deps.db, req, agent.id);
        if (carried) {
          artifacts.push(carried);
          continue;
        }
      }
      const taskId = await enqueueAgent(deps, req, agent, views);
      taskIds.push(taskId);
      running.push({ agent, taskId });
    }
    const finished = await waitForTasks({
      db: deps.db,
      queue: deps.queue,
      runId: req.runId,
      ids: running.map((r) => r.taskId),
      interrupted: () => req.interrupted(),
      ...(deps.safetyRecheckMs === undefined ? {} : { safetyRecheckMs: deps.safetyRecheckMs }),
    });
    if (finished.interrupted) return { artifacts, failed, interrupted: finished.interrupted, taskIds };
    for (const { agent, taskId } of running) {
      const task = finished.tasks.get(taskId);
      if (task?.state === 'succeeded')
        artifacts.push(await storeOutput(deps.db, req, taskId, task.result as AgentTaskResult));
      else
        failed.push({
          agentId: agent.id,
          taskId,
          error: task?.error ?? null,
          state: task?.state ?? 'failed',
        });
    }
    await req.onProgress(artifacts.length + failed.length, total);
  }
  return { artifacts, failed, taskIds };
}

function toView(a: ArtifactRecord): ArtifactView {
  return { id: a.id, type: a.type, name: a.name, phase: a.phase, content: a.content };
}

async function enqueueAgent(
  deps: DispatchDeps,
  req: DispatchRequest,
  agent: AgentAssignment,
  views: ArtifactView[],
): Promise<string> {
  const definition = deps.catalog.getAgent(agent.id);
  const input: AgentTaskInput = {
    runId: req.runId,
    phase: req.phase,
    agentId: definition.id,
    agentVersion: definition.version,
    gateAttempt: req.gateAttempt,
    hints: req.hints,
    phaseArtifacts: views,
    heartbeatSeconds: req.plan.heartbeatSeconds,
    ...(req.unstick ? { unstick: req.unstick } : {}),
    ...(agent.model ? { model: agent.model } : {}),
    ...(agent.temperature === undefined ? {} : { temperature: agent.temperature }),
    ...(agent.maxOutputTokens === undefined ? {} : { maxOutputTokens: agent.maxOutputTokens }),
  };
  // Invariant 1: sha256(phase + canonical inputs + agent version).
  const idempotencyKey = sha256(`${req.phase}\n${canonicalJson(input)}\n${definition.version}`);
  const { task } = await deps.queue.enqueue({
    type: AGENT_TASK,
    kind: 'agent',
    input,
    runId: req.runId,
    phaseRowId: req.phaseRowId,
    idempotencyKey,
    maxAttempts: 4,
    // Supervised: no heartbeat for stall_threshold_heartbeats × heartbeat_seconds means stalled. The
    // lease is longer, so the supervisor (which checkpoints and picks a strategy) acts first.
    stallAfterMs: req.plan.heartbeatSeconds * req.plan.stallThresholdHeartbeats * 1_000,
    leaseMs: Math.max(30_000, 2 * req.plan.heartbeatSeconds * req.plan.stallThresholdHeartbeats * 1_000),
  });
  return task.id;
}

async function storeOutput(
  db: Database,
  req: DispatchRequest,
  taskId: string,
  result: AgentTaskResult,
): Promise<ArtifactRecord> {
  return db.transaction(async (tx) => {
    const provenance = {
      ...(await inputProvenance(tx, result.inputs ?? [])),
      source: 'agent',
      agent: `${result.agentId}@${result.agentVersion}`,
      model: result.model,
      taskId,
      gateAttempt: req.gateAttempt,
      promptHash: result.promptHash,
      usage: result.usage,
      costUsd: result.costUsd,
      createdBy: result.model === 'offline' ? 'offline model (deterministic, no network)' : result.model,
      ...(result.selfExecuted ? { executedBy: result.executedBy, selfExecuted: true } : {}),
      ...(result.unstick ? { unstick: result.unstick } : {}),
    };
    const { artifact, created } = await insertArtifact(tx, {
      runId: req.runId,
      phase: req.phase,
      type: result.artifactType,
      name: result.agentId,
      content: result.output,
      hash: hashOf(result.output),
      provenance,
      idempotencyKey: `task:${taskId}`,
      taskId,
    });
    if (created) {
      const tokens = result.usage.inputTokens + result.usage.outputTokens;
      // The task's three entries in one statement (appendLedgerEntries keeps their order).
      await appendLedgerEntries(tx, [
        {
          runId: req.runId,
          type: 'task',
          data: { taskId, phase: req.phase, agent: provenance.agent, outcome: 'succeeded' },
          provenance: { model: result.model },
        },
        {
          runId: req.runId,
          type: 'cost',
          // One cost entry per logical model call (its step key), however many attempts the task took.
          data: { taskId, phase: req.phase, tokens, usd: result.costUsd, stepKey: result.stepKey ?? null },
          provenance: { model: result.model },
        },
        {
          runId: req.runId,
          type: 'artifact',
          data: { artifactId: artifact.id, type: artifact.type, hash: artifact.hash },
          provenance,
        },
      ]);
      await emit(
        db,
        {
          type: 'phase.agent.complete',
          runId: req.runId,
          phase: req.phase,
          taskId,
          payload: {
            attempt: req.gateAttempt,
            agentId: result.agentId,
            taskId,
            model: result.model,
            artifactIds: [artifact.id],
            durationMs: Math.round(result.latencyMs),
            usage: { tokens, toolsMinutes: 0, gpuHours: 0, usd: result.costUsd },
          },
        },
        tx,
      );
    }
    return artifact;
  });
}

/** Copies an agent's artifact from the previous gate attempt into this one, unchanged. */
async function carryForward(
  db: Database,
  req: DispatchRequest,
  agentId: string,
): Promise<ArtifactRecord | undefined> {
  const source = req.previous.find((a) => a.name === agentId);
  if (!source) return undefined;
  const { artifact } = await insertArtifact(db, {
    runId: req.runId,
    phase: req.phase,
    type: source.type,
    name: source.name,
    content: source.content,
    hash: source.hash,
    // Its content is the source's, unchanged: the source is what it was made from.
    provenance: {
      ...source.provenance,
      gateAttempt: req.gateAttempt,
      carriedFrom: source.id,
      inputs: [source.id],
      inputHashes: { [source.id]: source.hash },
    },
    idempotencyKey: `carry:${req.gateAttempt}:${source.id}`,
  });
  return artifact;
}

export function dispatchFailure(failed: DispatchOutcome['failed']): IdeaMineError {
  const detail = failed
    .map((f) => `${f.agentId} (${f.state}: ${f.error?.message ?? 'no error recorded'})`)
    .join('; ');
  return new IdeaMineError(ErrorCode.taskFailed, `agents failed: ${detail}`, {
    errorClass: ErrorClass.fatal,
    details: { failed },
  });
}
