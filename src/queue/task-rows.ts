import type { SerializedError } from '../core/errors.ts';
import type {
  Checkpoint,
  ClaimedTask,
  TaskHistoryEntry,
  TaskKind,
  TaskProgress,
  TaskRecord,
  TaskState,
} from './task-queue.ts';

/** Row shapes stay inside the driver; callers only see the camelCase domain objects. */
export interface TaskRow extends Record<string, unknown> {
  id: string;
  type: string;
  kind: TaskKind;
  queue: string;
  input: unknown;
  state: TaskState;
  run_id: string | null;
  phase_id: string | null;
  priority: number;
  attempt: number;
  max_attempts: number;
  lease_ms: number;
  lease_owner: string | null;
  run_at: Date;
  locked_until: Date | null;
  heartbeat_at: Date | null;
  progress: TaskProgress | null;
  result: unknown;
  error: SerializedError | null;
  history: TaskHistoryEntry[];
  idempotency_key: string | null;
  stale_writes: number;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

export interface ClaimRow extends Record<string, unknown> {
  id: string;
  type: string;
  kind: TaskKind;
  queue: string;
  input: unknown;
  attempt: number;
  max_attempts: number;
  lease_ms: number;
  run_id: string | null;
  phase_id: string | null;
  checkpoint: Checkpoint | null;
  trace_context: Record<string, string> | null;
  waited_ms: number | null;
}

export const TASK_COLUMNS = `id, type, kind, queue, input, state, run_id, phase_id, priority, attempt, max_attempts,
  lease_ms, lease_owner, run_at, locked_until, heartbeat_at, progress, result, error, history, idempotency_key,
  stale_writes, created_at, started_at, completed_at`;

export function toTaskRecord(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    type: row.type,
    kind: row.kind,
    queue: row.queue,
    input: row.input,
    state: row.state,
    runId: row.run_id,
    phaseRowId: row.phase_id,
    priority: row.priority,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    leaseMs: row.lease_ms,
    leaseOwner: row.lease_owner,
    runAt: row.run_at,
    lockedUntil: row.locked_until,
    heartbeatAt: row.heartbeat_at,
    progress: row.progress,
    result: row.result,
    error: row.error,
    history: row.history,
    idempotencyKey: row.idempotency_key,
    staleWrites: row.stale_writes,
    createdAt: row.created_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
  };
}

export function toClaimedTask(row: ClaimRow): ClaimedTask {
  return {
    id: row.id,
    type: row.type,
    kind: row.kind,
    queue: row.queue,
    input: row.input,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    leaseMs: row.lease_ms,
    runId: row.run_id,
    phaseRowId: row.phase_id,
    checkpoint: row.checkpoint,
    traceContext: row.trace_context,
    waitedMs: Math.max(0, Math.round(row.waited_ms ?? 0)),
  };
}
