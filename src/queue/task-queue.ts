import type { SerializedError } from '../core/errors.ts';
import type { TraceCarrier } from '../core/trace.ts';
import type { Queryable } from '../storage/database.ts';

/**
 * The task queue port. The Postgres driver (tasks table = queue) runs on PGlite and on a Postgres
 * server; a Redis driver may speed up delivery but Postgres stays the system of record.
 *
 * Task states: ready → running → succeeded | ready (retry) | failed (non-retryable) | dead
 * (attempts exhausted) | cancelled. `attempt` is counted at claim time, so a task that kills its
 * worker still burns an attempt. Every worker write is fenced by `(taskId, attempt)`.
 */

export const TaskState = {
  ready: 'ready',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  dead: 'dead',
  cancelled: 'cancelled',
} as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];
export const TASK_STATES = Object.values(TaskState);
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set(['succeeded', 'failed', 'dead', 'cancelled']);

export type TaskKind = 'agent' | 'tool' | 'system';

export interface EnqueueRequest {
  type: string;
  input?: unknown;
  kind?: TaskKind;
  queue?: string;
  runId?: string;
  /** The phases row id (not the phase name). */
  phaseRowId?: string;
  priority?: number;
  /** Delay before the task may be claimed. */
  delayMs?: number;
  /** Supervised: no heartbeat for this long means stalled (checked by the supervisor). */
  stallAfterMs?: number;
  maxAttempts?: number;
  leaseMs?: number;
  /** Enqueuing the same key again returns the existing task (invariant 1). */
  idempotencyKey?: string;
  /**
   * The trace the task continues (W3C trace context). Default: the span active where `enqueue` is
   * called; null: none. Not part of the input, so it never changes the idempotency key.
   */
  traceContext?: TraceCarrier | null;
}

export interface TaskProgress {
  pct?: number;
  etaMs?: number;
  metrics?: Record<string, number>;
  /** Free text: what the task is doing now (shown in status and used by stall detection). */
  note?: string;
}

export interface TaskHistoryEntry {
  attempt: number;
  at: string;
  outcome: 'failed' | 'lease_expired' | 'released' | 'cancelled' | 'stalled';
  strategy?: string;
  error?: SerializedError;
}

export interface Checkpoint {
  token: string;
  data: unknown;
  attempt: number;
}

export interface TaskRecord {
  id: string;
  type: string;
  kind: TaskKind;
  queue: string;
  input: unknown;
  state: TaskState;
  runId: string | null;
  phaseRowId: string | null;
  priority: number;
  attempt: number;
  maxAttempts: number;
  leaseMs: number;
  leaseOwner: string | null;
  runAt: Date;
  lockedUntil: Date | null;
  heartbeatAt: Date | null;
  progress: TaskProgress | null;
  result: unknown;
  error: SerializedError | null;
  history: TaskHistoryEntry[];
  idempotencyKey: string | null;
  staleWrites: number;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
}

/** A task as handed to a worker: the fence `(id, attempt)` and the last checkpoint, if any. */
export interface ClaimedTask {
  id: string;
  type: string;
  kind: TaskKind;
  queue: string;
  input: unknown;
  attempt: number;
  maxAttempts: number;
  leaseMs: number;
  runId: string | null;
  phaseRowId: string | null;
  checkpoint: Checkpoint | null;
  /** The trace context stored at enqueue: the worker's task span continues that trace. */
  traceContext: TraceCarrier | null;
  /** How long the task waited between becoming due (`run_at`) and this claim. */
  waitedMs: number;
}

export interface Fence {
  taskId: string;
  attempt: number;
}

export interface Completion {
  fence: Fence;
  result: unknown;
}

export interface HeartbeatResult {
  lost: Fence[];
  checkpointRequested: Fence[];
}

export interface StallCandidate {
  fence: Fence;
  type: string;
  runId: string | null;
  phaseRowId: string | null;
  input: unknown;
  stallAfterMs: number;
  heartbeatAt: Date | null;
  progressAt: Date | null;
  progress: TaskProgress | null;
  progressTrail: string[];
  unstickRung: number;
  control: 'checkpoint' | null;
  controlAt: Date | null;
  /** The database's now, so stall ages are computed on one clock. */
  now: Date;
}

export interface UnstickRequest {
  strategy: string;
  reason: string;
  /** Merged into the task input (the strategy's parameters). */
  patch?: Record<string, unknown>;
  /** Ends the task failed instead of retrying it (the escalate rung). */
  fail?: SerializedError;
}

export interface ClaimRequest {
  workerId: string;
  limit: number;
  /** Queues to claim from; default `['default']`. */
  queues?: readonly string[];
  /** Only claim these types (the handlers this worker has). */
  types?: readonly string[];
}

export interface FailRequest {
  error: SerializedError;
  /** When to retry, decided by the retry policy; ignored for non-retryable errors. */
  retryDelayMs: number;
  /** How the next attempt differs (recorded in the task.retry event); default `backoff`. */
  strategy?: string;
  /** Merged into the task input for the next attempt. */
  patch?: Record<string, unknown>;
}

export type FailOutcome = 'retry' | 'failed' | 'dead';

export interface ReclaimedTask {
  id: string;
  type: string;
  runId: string | null;
  attempt: number;
  state: 'ready' | 'dead';
}

export interface RunningLease {
  fence: Fence;
  /** The worker holding the lease (`<host>:<pid>:<nonce>` for the built-in worker pool). */
  owner: string;
  heartbeatAt: Date | null;
}

export interface QueueStats {
  byState: Record<TaskState, number>;
  /** Ready tasks whose run_at has passed. */
  due: number;
  oldestReadyAgeMs: number | null;
  staleWritesRejected: number;
}

export interface ListRequest {
  state?: TaskState;
  type?: string;
  runId?: string;
  limit?: number;
}

/** Where a task stands, as a waiter needs it: `result` and `error` are set once it is terminal. */
export interface TaskOutcome {
  state: TaskState;
  result: unknown;
  error: SerializedError | null;
}

/** A task reached a terminal state and the write that moved it there committed. */
export interface TaskSettled {
  taskId: string;
  runId: string | null;
  state: TaskState;
}

export interface TaskQueue {
  enqueue(request: EnqueueRequest, tx?: Queryable): Promise<{ task: TaskRecord; created: boolean }>;
  enqueueMany(requests: readonly EnqueueRequest[], tx?: Queryable): Promise<string[]>;
  claim(request: ClaimRequest): Promise<ClaimedTask[]>;
  /**
   * Extends the leases of many tasks at once. `lost`: fences that are no longer current (abort
   * those handlers). `checkpointRequested`: the supervisor asks these tasks to checkpoint now.
   */
  heartbeat(beats: ReadonlyArray<Fence & { progress?: TaskProgress }>): Promise<HeartbeatResult>;
  /** Running, supervised tasks that look stalled (no heartbeat, no progress, or a repeating trail). */
  findStalled(limit?: number): Promise<StallCandidate[]>;
  /** Asks the worker running this attempt to checkpoint (it sees the request at its next heartbeat). */
  requestCheckpoint(fence: Fence): Promise<boolean>;
  /**
   * Takes a stalled attempt away from its worker: back to ready with `patch` merged into the input
   * (the unsticker's strategy) — or, with `fail`, ends it failed. The attempt is not charged (the
   * ladder bounds these retries). `onCommit` runs in the same transaction (ledger, events).
   */
  unstick(
    fence: Fence,
    request: UnstickRequest,
    onCommit?: (tx: Queryable) => Promise<void>,
  ): Promise<boolean>;
  saveCheckpoint(fence: Fence, token: string, data: unknown): Promise<void>;
  complete(fence: Fence, result: unknown, tx?: Queryable): Promise<void>;
  /**
   * Completes many attempts in one statement (the worker pool's batched completion), each fenced by
   * its own (task, attempt): a stale attempt's completion changes nothing. Returns the stale fences
   * (each counted as a rejected write); every other completion committed.
   */
  completeMany(completions: readonly Completion[]): Promise<{ stale: Fence[] }>;
  fail(fence: Fence, request: FailRequest): Promise<FailOutcome>;
  /** Hands a task back unfinished (graceful shutdown); the attempt does not count against it. */
  release(fence: Fence): Promise<void>;
  /** Puts running tasks whose lease expired back to ready, or dead when out of attempts. */
  reclaimExpired(limit?: number): Promise<ReclaimedTask[]>;
  /** The running attempts of a run's tasks: who holds each lease and when it last heartbeated. */
  runningLeases(runId: string): Promise<RunningLease[]>;
  /**
   * Ends these attempts' leases now (their worker is known dead), so that the next `reclaimExpired`
   * takes them instead of waiting out the lease. Fenced by (task, attempt) and by the lease owner:
   * an attempt re-claimed since is left alone. Returns how many leases were ended.
   */
  expireLeases(leases: readonly RunningLease[]): Promise<number>;
  cancel(taskId: string): Promise<boolean>;
  /** Operator retry of a failed, dead or cancelled task: it gets its attempt budget again. */
  retry(taskId: string): Promise<boolean>;
  get(taskId: string): Promise<TaskRecord | undefined>;
  list(request?: ListRequest): Promise<TaskRecord[]>;
  stats(): Promise<QueueStats>;
  /** Resolves when new work may be available (a NOTIFY arrived) or the signal aborts. */
  onWake(listener: () => void): Promise<() => Promise<void>>;
  /**
   * Calls `listener` after each write that moved a task to a terminal state commits (complete,
   * fail → failed/dead, cancel, lease expiry on the last attempt, the supervisor's escalation):
   * in-process always; from other processes too where the driver can listen (`listenNotify`).
   * Delivery is at most once per listener and may be lost while a LISTEN connection is down, so a
   * waiter reads `outcomes` once after subscribing and keeps a long safety re-check. Resolves once
   * the subscription is live; the returned function ends it.
   */
  onSettled(listener: (event: TaskSettled) => void): Promise<() => Promise<void>>;
  /** The current state of these tasks in one read (unknown ids are absent from the map). */
  outcomes(ids: readonly string[]): Promise<Map<string, TaskOutcome>>;
}
