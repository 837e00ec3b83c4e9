import { type Clock, systemClock } from '../core/clock.ts';
import { coerceError } from '../core/errors.ts';
import { appendLedger } from '../observability/ledger.ts';
import { type Logger, silentLogger } from '../observability/logger.ts';
import type { StallCandidate, TaskQueue } from '../queue/task-queue.ts';
import type { Database, Queryable } from '../storage/database.ts';
import { appendEvents, EVENTS_CHANNEL } from '../storage/event-store.ts';
import { phaseNameOfRow } from '../storage/run-store.ts';
import {
  classifyStall,
  nextRung,
  type StallReason,
  type TaskCapabilities,
  type UnstickDecision,
} from './unsticker.ts';

/**
 * The supervisor notices tasks that are not making progress, not merely tasks whose worker died.
 * Each tick it asks the queue for suspicious running tasks and classifies them (no heartbeat, no
 * progress, loop). A task whose worker is still alive is first asked to checkpoint (it sees the
 * request at its next heartbeat) and given a grace period; then it is taken away from its worker
 * with the next rung of the unsticker ladder merged into its input. Every rung is a recorded
 * decision: a ledger entry explaining the choice, `phase.stalled` and `task.retry` events, all in
 * the transaction that moves the task.
 */

export interface SupervisorOptions {
  db: Database;
  queue: TaskQueue;
  intervalMs?: number;
  /** What the unsticker may do for a task (composition root knows agents, tools and models). */
  capabilities?: (candidate: StallCandidate) => TaskCapabilities;
  clock?: Clock;
  logger?: Logger;
}

export interface SupervisorDecision extends UnstickDecision {
  taskId: string;
  attempt: number;
  reason: StallReason;
}

const defaultCapabilities = (c: StallCandidate): TaskCapabilities => ({
  isAgent: c.type === 'agent.run',
  hasAlternateTool: false,
  hasFallbackModel: false,
});

export class Supervisor {
  readonly decisions: SupervisorDecision[] = [];
  readonly #o: Required<Omit<SupervisorOptions, 'clock' | 'logger'>> & { clock: Clock; logger: Logger };
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<unknown> | undefined;

  constructor(options: SupervisorOptions) {
    this.#o = {
      db: options.db,
      queue: options.queue,
      intervalMs: options.intervalMs ?? 1_000,
      capabilities: options.capabilities ?? defaultCapabilities,
      clock: options.clock ?? systemClock,
      logger: options.logger ?? silentLogger,
    };
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#ticking) return;
      this.#ticking = this.tick()
        .catch((error) => this.#o.logger.warn({ err: coerceError(error).message }, 'supervisor tick failed'))
        .finally(() => {
          this.#ticking = undefined;
        });
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
  }

  /** One pass; returns the decisions it took. */
  async tick(): Promise<SupervisorDecision[]> {
    const taken: SupervisorDecision[] = [];
    for (const candidate of await this.#o.queue.findStalled()) {
      const reason = classifyStall(candidate);
      if (!reason) continue;
      if (reason !== 'no-heartbeat' && !this.#checkpointWindowOver(candidate)) {
        // The worker is alive: let it save a checkpoint before the task is taken away.
        if (candidate.control === null) await this.#o.queue.requestCheckpoint(candidate.fence);
        continue;
      }
      const decision = nextRung(candidate.unstickRung, reason, this.#o.capabilities(candidate));
      const applied = await this.#apply(candidate, reason, decision);
      if (applied) {
        const record = {
          ...decision,
          taskId: candidate.fence.taskId,
          attempt: candidate.fence.attempt,
          reason,
        };
        taken.push(record);
        this.decisions.push(record);
        this.#o.logger.info(record, 'unstuck a stalled task');
      }
    }
    return taken;
  }

  #checkpointWindowOver(c: StallCandidate): boolean {
    if (!c.controlAt) return false;
    const grace = Math.min(c.stallAfterMs, 10_000);
    return c.now.getTime() - c.controlAt.getTime() >= grace;
  }

  async #apply(c: StallCandidate, reason: StallReason, d: UnstickDecision): Promise<boolean> {
    const escalate = d.strategy === 'escalate';
    return this.#o.queue.unstick(
      c.fence,
      {
        strategy: d.strategy,
        reason: d.explanation,
        // Only agent tasks read a strategy from their input; other handlers validate strict inputs.
        ...(this.#o.capabilities(c).isAgent
          ? { patch: { unstick: { strategy: d.strategy, rung: d.rung, reason } } }
          : {}),
        ...(escalate
          ? {
              fail: {
                code: 'STALLED',
                message: `stalled and the unsticker ladder is exhausted: ${d.explanation}`,
                errorClass: 'fatal',
                retryable: false,
              },
            }
          : {}),
      },
      (tx) => this.#record(tx, c, reason, d),
    );
  }

  async #record(tx: Queryable, c: StallCandidate, reason: StallReason, d: UnstickDecision): Promise<void> {
    const phase = c.phaseRowId ? await phaseNameOfRow(tx, c.phaseRowId) : null;
    const now = c.now;
    const heartbeatMs = heartbeatIntervalMs(c);
    const missed =
      reason === 'no-heartbeat' && c.heartbeatAt
        ? Math.max(1, Math.floor((now.getTime() - c.heartbeatAt.getTime()) / heartbeatMs))
        : 0;
    await appendLedger(tx, {
      runId: c.runId,
      type: 'decision',
      data: {
        decision: 'unstick',
        taskId: c.fence.taskId,
        attempt: c.fence.attempt,
        taskType: c.type,
        phase,
        reason,
        strategy: d.strategy,
        rung: d.rung,
        explanation: d.explanation,
        skipped: d.skipped,
      },
      provenance: { by: 'supervisor', checkpointRequestedAt: c.controlAt?.toISOString() ?? null },
    });
    await appendEvents(tx, this.#o.db.channel(EVENTS_CHANNEL), [
      {
        type: 'phase.stalled',
        runId: c.runId,
        phase,
        taskId: c.fence.taskId,
        payload: {
          taskAttempt: c.fence.attempt,
          missedHeartbeats: missed,
          lastHeartbeatAt: c.heartbeatAt?.toISOString() ?? null,
          strategy: d.strategy,
          reason,
        },
      },
      d.strategy === 'escalate'
        ? {
            type: 'task.failed',
            runId: c.runId,
            phase,
            taskId: c.fence.taskId,
            payload: {
              attempt: c.fence.attempt,
              error: { code: 'STALLED', message: d.explanation, errorClass: 'fatal', retryable: false },
              willRetry: false,
            },
          }
        : {
            type: 'task.retry',
            runId: c.runId,
            phase,
            taskId: c.fence.taskId,
            payload: {
              attempt: c.fence.attempt,
              strategy: d.strategy,
              delayMs: 0,
              runAt: now.toISOString(),
              reason: d.explanation,
            },
          },
    ]);
  }
}

/** The phase's heartbeat interval when the task carries it, else a third of the stall window. */
function heartbeatIntervalMs(c: StallCandidate): number {
  const input = c.input as { heartbeatSeconds?: unknown } | null;
  return typeof input?.heartbeatSeconds === 'number'
    ? input.heartbeatSeconds * 1000
    : Math.max(1, Math.round(c.stallAfterMs / 3));
}
