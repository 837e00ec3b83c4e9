import type { PhasePlan } from '../../core/schemas/phase-plan.ts';
import type { Workbench } from '../../core/workbench.ts';
import type { Model } from '../../llm/model.ts';
import type { LedgerAppend } from '../../observability/ledger.ts';
import type { TaskQueue } from '../../queue/task-queue.ts';
import type { Database } from '../../storage/database.ts';
import type { AgentCatalog } from '../catalog.ts';
import type { OrchestratorEvent } from '../events.ts';

/**
 * What every PhaseCoordinator stage receives: the phase it works on and the ports it may use. A stage
 * is a function `(ctx, input) => Promise<StageResult>`; it returns the ledger entries and events it
 * wants written, and the coordinator hands them to the recorder (recorder.ts), the one place that
 * writes them.
 */

export interface CoordinatorDeps {
  db: Database;
  queue: TaskQueue;
  catalog: AgentCatalog;
  /** The model the Q/A/V triad uses. */
  model: Model;
  now?: () => Date;
  /** The run's code workspace and tools; phases that write code or measure need it. */
  workbench?: Workbench;
}

export interface PhaseStageContext {
  deps: CoordinatorDeps;
  runId: string;
  phaseRowId: string;
  phase: string;
  plan: PhasePlan;
  /** The phase's retry generation (0 until an operator retry): tool reports of one generation are not another's. */
  generation: number;
  /** The durable-step scope of this generation. */
  stepScope: string;
  /** When this coordinator started (ms since the epoch), for `phase.complete`'s duration. */
  startedAt: number;
}

/** What a stage wants recorded: ledger entries and events, each written in the order given. */
export interface StageRecord {
  ledger?: readonly LedgerAppend[];
  events?: readonly OrchestratorEvent[];
}

/** A stage's output for the next stage (`value`) plus what it wants recorded. */
export interface StageResult<T> extends StageRecord {
  value: T;
}

/** What a failed gate hands to the next attempt: auto-fix hints and the agents to run again. */
export interface AttemptState {
  hints: string[];
  rerunAgents: string[];
}

/** A `decision` ledger entry of the phase's run: what the coordinator decided, and on what grounds. */
export function decisionEntry(
  ctx: Pick<PhaseStageContext, 'runId'>,
  data: Record<string, unknown>,
  provenance: Record<string, unknown>,
): LedgerAppend {
  return { runId: ctx.runId, type: 'decision', data, provenance };
}
