import { hostname } from 'node:os';
import { type Clock, systemClock } from '../core/clock.ts';
import { coerceError, ErrorClass, ErrorCode, IdeaMineError, isIdeaMineError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { contextFromCarrier, SpanKind, TraceAttr, withSpan } from '../core/trace.ts';
import { type Logger, silentLogger } from '../observability/logger.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF } from '../queue/backoff.ts';
import type { Checkpoint, ClaimedTask, Fence, TaskProgress, TaskQueue } from '../queue/task-queue.ts';
import { CompletionBatcher } from './completion-batcher.ts';
import { decideRetry } from './retry-policy.ts';

export interface TaskContext {
  readonly task: ClaimedTask;
  /** Aborted when the task's lease is lost, it is cancelled, or the pool stops hard. */
  readonly signal: AbortSignal;
  /** The last checkpoint of an earlier attempt: resume from here, not from scratch. */
  readonly checkpoint: Checkpoint | null;
  /** Records progress; it is sent with the next heartbeat. */
  progress(progress: TaskProgress): void;
  /** Saves a continuation token and state, fenced by this attempt. */
  saveCheckpoint(token: string, data: unknown): Promise<void>;
  /**
   * True once the supervisor has asked this task to checkpoint (it is about to be unstuck): a handler
   * that can should save a checkpoint promptly. `onCheckpointRequest` calls back when that happens.
   */
  readonly checkpointRequested: boolean;
  onCheckpointRequest(listener: () => void): void;
}

export type TaskHandler = (ctx: TaskContext) => Promise<unknown>;

/** How a handler run ended, as far as this pool saw it. */
export type TaskRunOutcome = 'succeeded' | 'failed' | 'stale' | 'lease_lost';

/** Optional hooks for metrics: called synchronously, must not throw or block. */
export interface WorkerPoolObserver {
  /** A task was claimed after waiting `waitedMs` since it became due. */
  claimed?(task: ClaimedTask): void;
  /** A handler run ended; `durationMs` is measured from the claim. */
  finished?(task: ClaimedTask, outcome: TaskRunOutcome, durationMs: number): void;
  /** This pool's sweep put `count` tasks with expired leases back (or dead-lettered them). */
  leasesExpired?(count: number): void;
}

export interface WorkerPoolOptions {
  queue: TaskQueue;
  handlers: ReadonlyMap<string, TaskHandler>;
  concurrency: number;
  workerId?: string;
  queues?: readonly string[];
  heartbeatMs?: number;
  /** Idle polling starts here and doubles up to `pollMaxMs`; a NOTIFY or a freed slot wakes at once. */
  pollMinMs?: number;
  pollMaxMs?: number;
  reclaimEveryMs?: number;
  backoff?: BackoffPolicy;
  clock?: Clock;
  logger?: Logger;
  observer?: WorkerPoolObserver;
  /**
   * Batched mode (on by default; `false` turns it off): completions are written `completeMax` at a
   * time in one statement (`completeWaitMs` window), and a slot freed while a claim is on its way
   * claims for itself, up to `claimsInFlight` claims at once, so workers do not idle for a round trip.
   */
  batch?: WorkerPoolBatchOptions | false;
}

export interface WorkerPoolBatchOptions {
  /** Most completions in one statement. Default 64. */
  completeMax?: number;
  /** How long a completion waits for others before it is written (when no write is in flight). Default 2 ms. */
  completeWaitMs?: number;
  /** Claim statements this pool may have in flight at once. Default 2. */
  claimsInFlight?: number;
}

export const DEFAULT_BATCH: Required<WorkerPoolBatchOptions> = {
  completeMax: 64,
  completeWaitMs: 2,
  claimsInFlight: 2,
};

export type WorkerPoolState = 'idle' | 'running' | 'draining' | 'stopped';

interface InFlight {
  task: ClaimedTask;
  controller: AbortController;
  progress: TaskProgress | undefined;
  leaseLost: boolean;
  checkpointRequested: boolean;
  checkpointListeners: Array<() => void>;
  done: Promise<void>;
}

export interface WorkerPoolCounters {
  claimed: number;
  succeeded: number;
  failed: number;
  staleRejected: number;
  leaseLost: number;
  reclaimed: number;
}

/**
 * Runs up to `concurrency` task handlers at once in this process.
 *
 * States: idle → running (start) → draining (stop: no new claims, in-flight tasks finish or are
 * released when the grace period ends) → stopped. A hard stop aborts handlers and releases their
 * leases at once. One heartbeat timer extends the leases of every in-flight task in one statement.
 */
export class WorkerPool {
  readonly workerId: string;
  readonly counters: WorkerPoolCounters = {
    claimed: 0,
    succeeded: 0,
    failed: 0,
    staleRejected: 0,
    leaseLost: 0,
    reclaimed: 0,
  };
  #state: WorkerPoolState = 'idle';
  readonly #o: Required<Omit<WorkerPoolOptions, 'queues' | 'workerId' | 'observer' | 'batch'>> & {
    queues: readonly string[] | undefined;
    claimsInFlight: number;
  };
  /** Batched completions; undefined when batching is off (one statement per completion). */
  readonly #completions: CompletionBatcher | undefined;
  readonly #observer: WorkerPoolObserver;
  readonly #inFlight = new Map<string, InFlight>();
  #wake: (() => void) | undefined;
  #wakePending = false;
  #loop: Promise<void> | undefined;
  #timers: NodeJS.Timeout[] = [];
  #unlisten: (() => Promise<void>) | undefined;
  /** Slots promised to claims still on their way, so that concurrent claims never over-fill the pool. */
  #reserved = 0;
  #claimsInFlight = 0;
  /** The last claim got fewer tasks than it asked for: no side claims until new work is announced. */
  #dry = false;
  readonly #sideClaims = new Set<Promise<unknown>>();
  /** Runs whose handler finished and whose completion waits in a batch (they no longer hold a slot). */
  readonly #completing = new Set<Promise<void>>();

  constructor(options: WorkerPoolOptions) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${newId().slice(0, 8)}`;
    this.#o = {
      queue: options.queue,
      handlers: options.handlers,
      concurrency: Math.max(1, options.concurrency),
      queues: options.queues,
      heartbeatMs: options.heartbeatMs ?? 5_000,
      pollMinMs: options.pollMinMs ?? 50,
      pollMaxMs: options.pollMaxMs ?? 2_000,
      // One indexed query a second (tasks_leases is partial on running tasks): recovery ≈ lease + ≤ 1 s.
      reclaimEveryMs: options.reclaimEveryMs ?? 1_000,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      clock: options.clock ?? systemClock,
      logger: options.logger ?? silentLogger,
      claimsInFlight: 1,
    };
    this.#observer = options.observer ?? {};
    if (options.batch !== false) {
      const batch = { ...DEFAULT_BATCH, ...options.batch };
      this.#o.claimsInFlight = Math.max(1, batch.claimsInFlight);
      this.#completions = new CompletionBatcher(options.queue, {
        maxBatch: batch.completeMax,
        waitMs: batch.completeWaitMs,
        retry: (write) => this.#withStorageRetry(write),
      });
    }
  }

  get state(): WorkerPoolState {
    return this.#state;
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new IdeaMineError(ErrorCode.conflict, `worker pool is ${this.#state}`);
    this.#state = 'running';
    this.#unlisten = await this.#o.queue.onWake(() => {
      this.#dry = false;
      this.#signalWake();
    });
    this.#timers.push(setInterval(() => void this.#heartbeat(), this.#o.heartbeatMs));
    this.#timers.push(setInterval(() => void this.#reclaim(), this.#o.reclaimEveryMs));
    void this.#reclaim();
    this.#loop = this.#run();
  }

  /**
   * Graceful stop: claim nothing more, let in-flight tasks finish for up to `graceMs`, then abort and
   * release the rest. `graceMs: 0` is the hard stop.
   */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    if (this.#state === 'idle') {
      this.#state = 'stopped';
      return;
    }
    if (this.#state === 'stopped') return;
    const graceMs = options.graceMs ?? 30_000;
    this.#state = 'draining';
    this.#signalWake();
    await this.#loop;
    await Promise.all(this.#sideClaims);
    const drained = Promise.all([...this.#inFlight.values()].map((f) => f.done));
    if (graceMs > 0) await Promise.race([drained, new Promise((r) => setTimeout(r, graceMs).unref())]);
    await this.#releaseAll();
    // Finished tasks whose completions are still batched are written before the pool says it stopped.
    await this.#completions?.drain();
    await Promise.all(this.#completing);
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#unlisten?.().catch(() => {});
    this.#state = 'stopped';
  }

  async #releaseAll(): Promise<void> {
    const remaining = [...this.#inFlight.values()];
    for (const f of remaining) {
      f.leaseLost = true; // its result, if any, must not be written after release
      f.controller.abort(new IdeaMineError(ErrorCode.cancelled, 'worker pool stopping'));
    }
    await Promise.all(
      remaining.map((f) =>
        this.#o.queue.release({ taskId: f.task.id, attempt: f.task.attempt }).catch(() => {}),
      ),
    );
    this.#inFlight.clear();
  }

  #signalWake(): void {
    this.#wakePending = true;
    this.#wake?.();
  }

  #freeSlots(): number {
    return this.#o.concurrency - this.#inFlight.size - this.#reserved;
  }

  /** Claims up to `limit` tasks (their slots reserved meanwhile) and starts them. */
  async #claimInto(limit: number): Promise<number> {
    this.#reserved += limit;
    this.#claimsInFlight++;
    try {
      const tasks = await this.#o.queue.claim({
        workerId: this.workerId,
        limit,
        types: [...this.#o.handlers.keys()],
        ...(this.#o.queues ? { queues: this.#o.queues } : {}),
      });
      this.#dry = tasks.length < limit;
      for (const task of tasks) this.#execute(task);
      return tasks.length;
    } finally {
      this.#reserved -= limit;
      this.#claimsInFlight--;
    }
  }

  /**
   * A slot freed while a claim is on its way claims for itself (up to `claimsInFlight` claims at
   * once) instead of idling until that claim returns and the loop comes round again.
   */
  #claimBesideLoop(): void {
    if (this.#state !== 'running' || this.#dry) return;
    if (this.#claimsInFlight === 0 || this.#claimsInFlight >= this.#o.claimsInFlight) return;
    const free = this.#freeSlots();
    if (free <= 0) return;
    const claim = this.#claimInto(free)
      .catch((error) => {
        this.#o.logger.warn({ err: coerceError(error).message }, 'claim failed');
      })
      .finally(() => {
        this.#sideClaims.delete(claim);
        // Its reserved slots are free again: let the loop re-decide how long to wait.
        this.#signalWake();
      });
    this.#sideClaims.add(claim);
  }

  async #run(): Promise<void> {
    let idleDelay = this.#o.pollMinMs;
    while (this.#state === 'running') {
      const free = this.#freeSlots();
      let claimed = 0;
      if (free > 0) {
        try {
          this.#wakePending = false;
          claimed = await this.#claimInto(free);
          idleDelay = claimed > 0 ? this.#o.pollMinMs : Math.min(this.#o.pollMaxMs, idleDelay * 2);
        } catch (error) {
          // Storage trouble (e.g. Postgres restarting): back off instead of hot-looping.
          this.#o.logger.warn({ err: coerceError(error).message }, 'claim failed; backing off');
          idleDelay = Math.min(this.#o.pollMaxMs, idleDelay * 2);
        }
      }
      if (claimed > 0 && claimed === free) continue; // likely more work: claim again right away
      await this.#waitForWake(this.#freeSlots() <= 0 ? 60_000 : idleDelay);
    }
  }

  #waitForWake(ms: number): Promise<void> {
    if (this.#wakePending) {
      this.#wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.#wake = undefined;
        resolve();
      }
      this.#wake = done;
    });
  }

  #execute(task: ClaimedTask): void {
    this.counters.claimed++;
    this.#observer.claimed?.(task);
    const controller = new AbortController();
    const flight: InFlight = {
      task,
      controller,
      progress: undefined,
      leaseLost: false,
      checkpointRequested: false,
      checkpointListeners: [],
      done: Promise.resolve(),
    };
    this.#inFlight.set(task.id, flight);
    const claimedAt = performance.now();
    flight.done = withSpan(
      `task ${task.type}`,
      taskSpanAttributes(task),
      async (span) => {
        const outcome = await this.#runHandler(flight);
        span.setAttribute(TraceAttr.outcome, outcome);
        this.#observer.finished?.(task, outcome, performance.now() - claimedAt);
      },
      // The task's own trace (stored at enqueue), not whatever span happened to start this pool.
      { parent: contextFromCarrier(task.traceContext), kind: SpanKind.CONSUMER },
    ).finally(() => this.#freeSlot(flight));
  }

  #freeSlot(flight: InFlight): void {
    if (this.#inFlight.get(flight.task.id) !== flight) return;
    this.#inFlight.delete(flight.task.id);
    this.#signalWake();
    this.#claimBesideLoop();
  }

  async #runHandler(flight: InFlight): Promise<TaskRunOutcome> {
    const { task } = flight;
    const fence: Fence = { taskId: task.id, attempt: task.attempt };
    const handler = this.#o.handlers.get(task.type);
    const ctx: TaskContext = {
      task,
      signal: flight.controller.signal,
      checkpoint: task.checkpoint,
      progress: (p) => {
        flight.progress = { ...flight.progress, ...p };
      },
      saveCheckpoint: (token, data) => this.#o.queue.saveCheckpoint(fence, token, data),
      get checkpointRequested() {
        return flight.checkpointRequested;
      },
      onCheckpointRequest: (listener) => {
        flight.checkpointListeners.push(listener);
      },
    };
    try {
      if (!handler) {
        throw new IdeaMineError(ErrorCode.unknownTaskType, `no handler for task type "${task.type}"`, {
          errorClass: ErrorClass.fatal,
        });
      }
      const result = await handler(ctx);
      if (flight.leaseLost) return 'lease_lost';
      if (this.#completions) {
        // The handler is done, so its slot is free; its completion commits with the next batch.
        this.#completing.add(flight.done);
        flight.done.finally(() => this.#completing.delete(flight.done)).catch(() => {});
        this.#freeSlot(flight);
        await this.#completions.complete(fence, result);
      } else {
        await this.#withStorageRetry(() => this.#o.queue.complete(fence, result));
      }
      this.counters.succeeded++;
      return 'succeeded';
    } catch (thrown) {
      if (flight.leaseLost) return 'lease_lost';
      return this.#recordFailure(fence, thrown);
    }
  }

  async #recordFailure(fence: Fence, thrown: unknown): Promise<'failed' | 'stale'> {
    if (isIdeaMineError(thrown) && thrown.code === ErrorCode.staleAttempt) {
      this.counters.staleRejected++;
      return 'stale';
    }
    const error = coerceError(thrown);
    this.counters.failed++;
    const decision = decideRetry(error, fence.attempt, this.#o.backoff);
    const serialized = { ...error.toJSON(), retryable: decision.retry };
    try {
      await this.#withStorageRetry(() =>
        this.#o.queue.fail(fence, {
          error: serialized,
          retryDelayMs: decision.delayMs,
          strategy: decision.strategy,
          ...(decision.patch ? { patch: decision.patch } : {}),
        }),
      );
    } catch (failError) {
      if (isIdeaMineError(failError) && failError.code === ErrorCode.staleAttempt) {
        this.counters.staleRejected++;
        return 'stale';
      }
      this.#o.logger.error(
        { err: coerceError(failError).message, taskId: fence.taskId },
        'could not record failure',
      );
    }
    return 'failed';
  }

  /** A write that fails for a storage reason is retried briefly; a stale fence is final. */
  async #withStorageRetry<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (isIdeaMineError(error) || attempt >= 5 || this.#state === 'stopped') throw error;
        await this.#o.clock.sleep(100 * 2 ** attempt);
      }
    }
  }

  async #heartbeat(): Promise<void> {
    const flights = [...this.#inFlight.values()].filter((f) => !f.leaseLost);
    if (flights.length === 0) return;
    try {
      const { lost, checkpointRequested } = await this.#o.queue.heartbeat(
        flights.map((f) => ({
          taskId: f.task.id,
          attempt: f.task.attempt,
          ...(f.progress ? { progress: f.progress } : {}),
        })),
      );
      for (const fence of checkpointRequested) {
        const flight = this.#inFlight.get(fence.taskId);
        if (flight && flight.task.attempt === fence.attempt && !flight.checkpointRequested) {
          flight.checkpointRequested = true;
          for (const listener of flight.checkpointListeners) listener();
        }
      }
      for (const fence of lost) {
        const flight = this.#inFlight.get(fence.taskId);
        if (!flight || flight.task.attempt !== fence.attempt) continue;
        flight.leaseLost = true;
        this.counters.leaseLost++;
        flight.controller.abort(
          new IdeaMineError(ErrorCode.leaseLost, `lease lost for task ${fence.taskId}`),
        );
        this.#inFlight.delete(fence.taskId);
        this.#signalWake();
      }
    } catch (error) {
      this.#o.logger.warn({ err: coerceError(error).message }, 'heartbeat failed');
    }
  }

  async #reclaim(): Promise<void> {
    if (this.#state !== 'running') return;
    try {
      const reclaimed = await this.#o.queue.reclaimExpired();
      this.counters.reclaimed += reclaimed.length;
      if (reclaimed.length > 0) this.#observer.leasesExpired?.(reclaimed.length);
      if (reclaimed.length > 0) this.#signalWake();
    } catch (error) {
      this.#o.logger.warn({ err: coerceError(error).message }, 'lease reclaim failed');
    }
  }
}

function taskSpanAttributes(task: ClaimedTask): Record<string, string | number> {
  const input = (task.input ?? {}) as { phase?: unknown; agentId?: unknown; agentVersion?: unknown };
  return {
    [TraceAttr.taskId]: task.id,
    [TraceAttr.taskType]: task.type,
    [TraceAttr.taskAttempt]: task.attempt,
    ...(task.runId ? { [TraceAttr.runId]: task.runId } : {}),
    ...(typeof input.phase === 'string' ? { [TraceAttr.phase]: input.phase } : {}),
    ...(typeof input.agentId === 'string'
      ? { [TraceAttr.agent]: `${input.agentId}@${String(input.agentVersion ?? '')}` }
      : {}),
  };
}
