import type { Clock } from '../core/clock.ts';
import { ErrorCode, IdeaMineError, type SerializedError } from '../core/errors.ts';
import { currentTraceCarrier, type TraceCarrier } from '../core/trace.ts';
import type { Database, Queryable } from '../storage/database.ts';
import { appendEvents, EVENTS_CHANNEL, type NewEvent } from '../storage/event-store.ts';
import { type SettledHub, settledHub, settledNotifySql } from './settled-notifier.ts';
import { recordStaleWrite, type StaleWrite, staleAttempt } from './stale-attempt.ts';
import {
  type ClaimedTask,
  type ClaimRequest,
  type Completion,
  type EnqueueRequest,
  type FailOutcome,
  type FailRequest,
  type Fence,
  type HeartbeatResult,
  type ListRequest,
  type QueueStats,
  type ReclaimedTask,
  type RunningLease,
  type StallCandidate,
  TASK_STATES,
  type TaskOutcome,
  type TaskProgress,
  type TaskQueue,
  type TaskRecord,
  type TaskSettled,
  type TaskState,
  TERMINAL_STATES,
  type UnstickRequest,
} from './task-queue.ts';
import { type ClaimRow, TASK_COLUMNS, type TaskRow, toClaimedTask, toTaskRecord } from './task-rows.ts';

export const TASKS_CHANNEL = 'ideamine_tasks';

/**
 * The trace context a task carries to whichever worker runs it: the request's own, else the span
 * active where it was enqueued (a phase's dispatch stage, say), else none.
 */
function traceCarrierOf(r: EnqueueRequest): TraceCarrier | null {
  return r.traceContext === undefined ? currentTraceCarrier() : r.traceContext;
}

function jsonOrNull(value: unknown): string | null {
  return value == null ? null : JSON.stringify(value);
}

export interface SqlTaskQueueOptions {
  /**
   * Inject a clock to make time-based decisions testable. Without one, the database's clock decides
   * (leases, due times), which keeps processes with skewed or jumping wall clocks consistent.
   */
  clock?: Clock;
  defaultLeaseMs?: number;
  defaultMaxAttempts?: number;
}

/** What a settling statement returns, at least: enough to tell waiters which task ended how. */
type SettledRow = { id: string; run_id: string | null; state: TaskState } & Record<string, unknown>;

// `$1` in every time-sensitive statement: an explicit instant (injected clock) or null (database time).
const NOW = 'coalesce($1::timestamptz, clock_timestamp())';

/** The tasks table as a queue, on PGlite or Postgres (same SQL). */
export class SqlTaskQueue implements TaskQueue {
  readonly #db: Database;
  readonly #clock: Clock | undefined;
  readonly #defaultLeaseMs: number;
  readonly #defaultMaxAttempts: number;
  readonly #settled: SettledHub;

  constructor(db: Database, options: SqlTaskQueueOptions = {}) {
    this.#db = db;
    this.#settled = settledHub(db);
    this.#clock = options.clock;
    this.#defaultLeaseMs = options.defaultLeaseMs ?? 30_000;
    this.#defaultMaxAttempts = options.defaultMaxAttempts ?? 5;
  }

  #now(): string | null {
    return this.#clock ? new Date(this.#clock.now()).toISOString() : null;
  }

  /**
   * The select-list tail that NOTIFYs other processes of the rows a statement settled: empty where the
   * driver cannot listen across processes (no NOTIFY is sent there at all).
   */
  #notifySettled(alias = '', origin = this.#settled.origin): string {
    return this.#settled.crossProcess
      ? `, ${settledNotifySql(this.#settled, origin, alias)} as settled_notify`
      : '';
  }

  /** Call only after the writing statement's transaction committed. */
  #emitSettled(rows: ReadonlyArray<{ id: string; run_id: string | null; state: TaskState }>): void {
    const settled: TaskSettled[] = [];
    for (const r of rows)
      if (TERMINAL_STATES.has(r.state)) settled.push({ taskId: r.id, runId: r.run_id, state: r.state });
    if (settled.length > 0) this.#settled.emit(settled);
  }

  async #events(tx: Queryable, events: readonly NewEvent[]): Promise<void> {
    await appendEvents(tx, this.#db.channel(EVENTS_CHANNEL), events);
  }

  async enqueue(request: EnqueueRequest, tx?: Queryable): Promise<{ task: TaskRecord; created: boolean }> {
    // One statement (insert + NOTIFY in a CTE), so an enqueue outside a caller's transaction is one
    // round trip in autocommit instead of four (BEGIN, INSERT, NOTIFY, COMMIT); the NOTIFY still
    // fires only if the insert commits.
    const q = tx ?? this.#db;
    const inserted = await q.query<TaskRow & { notified: unknown }>(
      `with ins as (
         insert into tasks (type, kind, queue, input, run_id, phase_id, priority, run_at, max_attempts, lease_ms, idempotency_key, stall_after_ms, trace_context)
         values ($2, $3, $4, $5, $6, $7, $8, ${NOW} + $9 * interval '1 millisecond', $10, $11, $12, $13, $14)
         on conflict (idempotency_key) do nothing
         returning ${TASK_COLUMNS})
       select ins.*, pg_notify($15, ins.queue) as notified from ins`,
      [...this.#enqueueParams(request), this.#db.channel(TASKS_CHANNEL)],
    );
    if (inserted[0]) return { task: toTaskRecord(inserted[0]), created: true };
    const existing = await q.query<TaskRow>(`select ${TASK_COLUMNS} from tasks where idempotency_key = $1`, [
      request.idempotencyKey,
    ]);
    if (!existing[0]) throw new IdeaMineError(ErrorCode.internal, 'enqueue conflicted but found no task');
    return { task: toTaskRecord(existing[0]), created: false };
  }

  #enqueueParams(r: EnqueueRequest): unknown[] {
    return [
      this.#now(),
      r.type,
      r.kind ?? 'system',
      r.queue ?? 'default',
      JSON.stringify(r.input ?? {}),
      r.runId ?? null,
      r.phaseRowId ?? null,
      r.priority ?? 0,
      r.delayMs ?? 0,
      r.maxAttempts ?? this.#defaultMaxAttempts,
      r.leaseMs ?? this.#defaultLeaseMs,
      r.idempotencyKey ?? null,
      r.stallAfterMs ?? null,
      jsonOrNull(traceCarrierOf(r)),
    ];
  }

  /** One statement for the whole batch; duplicates by idempotency key are skipped. */
  async enqueueMany(requests: readonly EnqueueRequest[], tx?: Queryable): Promise<string[]> {
    if (requests.length === 0) return [];
    const rows = requests.map((r) => ({
      type: r.type,
      kind: r.kind ?? 'system',
      queue: r.queue ?? 'default',
      input: r.input ?? {},
      run_id: r.runId ?? null,
      phase_id: r.phaseRowId ?? null,
      priority: r.priority ?? 0,
      delay_ms: r.delayMs ?? 0,
      max_attempts: r.maxAttempts ?? this.#defaultMaxAttempts,
      lease_ms: r.leaseMs ?? this.#defaultLeaseMs,
      idempotency_key: r.idempotencyKey ?? null,
      trace_context: traceCarrierOf(r),
    }));
    const run = async (q: Queryable) => {
      const inserted = await q.query<{ id: string }>(
        `insert into tasks (type, kind, queue, input, run_id, phase_id, priority, run_at, max_attempts, lease_ms, idempotency_key, trace_context)
         select r.type, r.kind, r.queue, r.input, r.run_id, r.phase_id, r.priority,
                ${NOW} + r.delay_ms * interval '1 millisecond', r.max_attempts, r.lease_ms, r.idempotency_key,
                r.trace_context
           from jsonb_to_recordset($2::jsonb) as r(type text, kind text, queue text, input jsonb, run_id uuid,
                phase_id uuid, priority int, delay_ms bigint, max_attempts int, lease_ms int, idempotency_key text,
                trace_context jsonb)
         on conflict (idempotency_key) do nothing
         returning id`,
        [this.#now(), JSON.stringify(rows)],
      );
      if (inserted.length > 0)
        await q.query('select pg_notify($1, $2)', [this.#db.channel(TASKS_CHANNEL), 'batch']);
      return inserted.map((r) => r.id);
    };
    return tx ? run(tx) : this.#db.transaction(run);
  }

  async claim(request: ClaimRequest): Promise<ClaimedTask[]> {
    if (request.limit <= 0) return [];
    // SKIP LOCKED lets concurrent claimers pass over each other's rows instead of queueing behind
    // them; the attempt is counted here, at claim, so a task that kills its worker still burns one.
    // One queue (the common case) is an equality, so the partial index tasks_ready (queue, priority
    // desc, run_at, id) yields rows already in claim order and the LIMIT stops early. A generic
    // "$2 is null or queue = any($2)" made the planner sort the whole ready backlog on every claim:
    // 4.3 ms per claim with 5,000 ready tasks vs 0.85 ms (BENCHMARKS.md, finding 1).
    const queues = request.queues ?? ['default'];
    const queueFilter = queues.length === 1 ? 'queue = $2::text' : 'queue = any($2::text[])';
    const rows = await this.#db.query<ClaimRow>(
      `with next as (
         select id from tasks
          where state = 'ready' and run_at <= ${NOW}
            and ${queueFilter}
            and ($3::text[] is null or type = any($3))
          order by priority desc, run_at, id
          limit $4
          for update skip locked)
       update tasks t
          set state = 'running', attempt = t.attempt + 1, lease_owner = $5,
              locked_until = ${NOW} + t.lease_ms * interval '1 millisecond',
              heartbeat_at = ${NOW}, started_at = coalesce(t.started_at, ${NOW}), updated_at = ${NOW},
              progress_at = ${NOW}, progress_trail = '[]'::jsonb, control = null, control_at = null
         from next
        where t.id = next.id
       returning t.id, t.type, t.kind, t.queue, t.input, t.attempt, t.max_attempts, t.lease_ms, t.run_id, t.phase_id,
                 t.trace_context, (extract(epoch from (${NOW} - t.run_at)) * 1000)::float8 as waited_ms,
                 (select jsonb_build_object('token', c.token, 'data', c.data, 'attempt', c.attempt)
                    from checkpoints c where c.task_id = t.id) as checkpoint`,
      [
        this.#now(),
        queues.length === 1 ? queues[0] : queues,
        request.types ?? null,
        request.limit,
        request.workerId,
      ],
    );
    return rows.map(toClaimedTask);
  }

  async heartbeat(beats: ReadonlyArray<Fence & { progress?: TaskProgress }>): Promise<HeartbeatResult> {
    if (beats.length === 0) return { lost: [], checkpointRequested: [] };
    // Progress bookkeeping for the supervisor: `progress_at` moves only when the reported progress
    // changes (slope monitor); `progress_trail` keeps the last 12 fingerprints (loop detection).
    const alive = await this.#db.query<{ id: string; attempt: number; control: string | null }>(
      `update tasks t
          set locked_until = ${NOW} + t.lease_ms * interval '1 millisecond', heartbeat_at = ${NOW},
              progress = coalesce(h.progress, t.progress),
              progress_at = case when h.progress is not null and h.progress is distinct from t.progress then ${NOW}
                                 else coalesce(t.progress_at, ${NOW}) end,
              progress_trail = case when h.progress is null then t.progress_trail else (
                select coalesce(jsonb_agg(x.e order by x.i), '[]'::jsonb) from (
                  select a.e, a.i from jsonb_array_elements(t.progress_trail || jsonb_build_array(md5(h.progress::text)))
                    with ordinality as a(e, i) order by a.i desc limit 12) x) end
         from jsonb_to_recordset($2::jsonb) as h(id uuid, attempt int, progress jsonb)
        where t.id = h.id and t.attempt = h.attempt and t.state = 'running'
       returning t.id, t.attempt, t.control`,
      [
        this.#now(),
        JSON.stringify(
          beats.map((b) => ({ id: b.taskId, attempt: b.attempt, progress: b.progress ?? null })),
        ),
      ],
    );
    const aliveIds = new Set(alive.map((r) => r.id));
    const lost = beats
      .filter((b) => !aliveIds.has(b.taskId))
      .map(({ taskId, attempt }) => ({ taskId, attempt }));
    // The count is telemetry: failing to record it must not keep the pool from dropping lost tasks.
    if (lost.length > 0) await this.#recordStaleHeartbeats(lost).catch(() => {});
    return {
      lost,
      checkpointRequested: alive
        .filter((r) => r.control === 'checkpoint')
        .map((r) => ({ taskId: r.id, attempt: r.attempt })),
    };
  }

  /**
   * A heartbeat that found its attempt gone is a stale write when a newer attempt holds the task
   * (the worker outlived its lease, e.g. it was frozen); a task that merely ended is not counted.
   */
  async #recordStaleHeartbeats(lost: readonly Fence[]): Promise<void> {
    const rows = await this.#db.query<{ id: string; attempt: number }>(
      'select id, attempt from tasks where id = any($1::uuid[])',
      [lost.map((f) => f.taskId)],
    );
    const current = new Map(rows.map((r) => [r.id, r.attempt]));
    for (const fence of lost) {
      if ((current.get(fence.taskId) ?? 0) > fence.attempt) await this.#recordStale(fence, 'heartbeat');
    }
  }

  async findStalled(limit = 100): Promise<StallCandidate[]> {
    const rows = await this.#db.query<{
      id: string;
      attempt: number;
      type: string;
      run_id: string | null;
      phase_id: string | null;
      input: unknown;
      stall_after_ms: number;
      heartbeat_at: Date | null;
      progress_at: Date | null;
      progress: TaskProgress | null;
      progress_trail: string[];
      unstick_rung: number;
      control: 'checkpoint' | null;
      control_at: Date | null;
      now: Date;
    }>(
      `select id, attempt, type, run_id, phase_id, input, stall_after_ms, heartbeat_at, progress_at, progress, progress_trail,
              unstick_rung, control, control_at, ${NOW} as now
         from tasks
        where state = 'running' and stall_after_ms is not null
          and (heartbeat_at < ${NOW} - stall_after_ms * interval '1 millisecond'
               or progress_at < ${NOW} - 2 * stall_after_ms * interval '1 millisecond'
               or jsonb_array_length(progress_trail) >= 8
               or control is not null)
        order by heartbeat_at limit $2`,
      [this.#now(), limit],
    );
    return rows.map((r) => ({
      fence: { taskId: r.id, attempt: r.attempt },
      type: r.type,
      runId: r.run_id,
      phaseRowId: r.phase_id,
      input: r.input,
      stallAfterMs: r.stall_after_ms,
      heartbeatAt: r.heartbeat_at,
      progressAt: r.progress_at,
      progress: r.progress,
      progressTrail: r.progress_trail,
      unstickRung: r.unstick_rung,
      control: r.control,
      controlAt: r.control_at,
      now: r.now,
    }));
  }

  async requestCheckpoint(fence: Fence): Promise<boolean> {
    const rows = await this.#db.query(
      `update tasks set control = 'checkpoint', control_at = ${NOW}
        where id = $2 and attempt = $3 and state = 'running' and control is null returning id`,
      [this.#now(), fence.taskId, fence.attempt],
    );
    return rows.length > 0;
  }

  async unstick(
    fence: Fence,
    request: UnstickRequest,
    onCommit?: (tx: Queryable) => Promise<void>,
  ): Promise<boolean> {
    const settled = await this.#db.transaction(async (tx) => {
      const rows = await tx.query<SettledRow>(
        `with upd as (
         update tasks
            set state = case when $4::jsonb is null then 'ready' else 'failed' end,
                error = coalesce($4::jsonb, error),
                input = case when jsonb_typeof(input) = 'object' then input || $5::jsonb else input end,
                max_attempts = max_attempts + 1, unstick_rung = unstick_rung + 1,
                run_at = ${NOW}, lease_owner = null, locked_until = null, control = null, control_at = null,
                updated_at = ${NOW}, completed_at = case when $4::jsonb is null then null else ${NOW} end,
                history = history || jsonb_build_array(jsonb_build_object('attempt', attempt, 'at', ${NOW},
                  'outcome', 'stalled', 'strategy', $6::text, 'reason', $7::text))
          where id = $2 and attempt = $3 and state = 'running'
        returning id, run_id, state)
        select id, run_id, state${this.#notifySettled()} from upd`,
        [
          this.#now(),
          fence.taskId,
          fence.attempt,
          request.fail ? JSON.stringify(request.fail) : null,
          JSON.stringify(request.patch ?? {}),
          request.strategy,
          request.reason,
        ],
      );
      if (rows.length === 0) return undefined;
      if (!request.fail)
        await tx.query('select pg_notify($1, $2)', [this.#db.channel(TASKS_CHANNEL), 'unstick']);
      await onCommit?.(tx);
      return rows;
    });
    if (!settled) return false;
    this.#emitSettled(settled);
    return true;
  }

  async saveCheckpoint(fence: Fence, token: string, data: unknown): Promise<void> {
    const saved = await this.#db.query(
      `insert into checkpoints (task_id, attempt, token, data)
       select id, attempt, $4, $5 from tasks where id = $2 and attempt = $3 and state = 'running'
       on conflict (task_id) do update set attempt = excluded.attempt, token = excluded.token, data = excluded.data,
              created_at = ${NOW}
       returning task_id`,
      [this.#now(), fence.taskId, fence.attempt, token, JSON.stringify(data)],
    );
    if (saved.length === 0) await this.#rejectStale(fence, 'checkpoint');
  }

  async complete(fence: Fence, result: unknown, tx?: Queryable): Promise<void> {
    // In a caller's transaction we cannot see the commit. On Postgres the NOTIFY (delivered on commit)
    // then goes out with no origin, so this process's own LISTEN hears it too. Without NOTIFY (PGlite)
    // a read issued now runs only after that transaction ends (PGlite serialises every query behind
    // an open transaction) and tells whether the completion committed.
    const done = await (tx ?? this.#db).query<SettledRow>(
      `with done as (
         update tasks set state = 'succeeded', result = $4, completed_at = ${NOW}, updated_at = ${NOW},
                lease_owner = null, locked_until = null, error = null
          where id = $2 and attempt = $3 and state = 'running'
         returning id, run_id, state)
       select id, run_id, state${this.#notifySettled('', tx ? '' : this.#settled.origin)} from done`,
      [this.#now(), fence.taskId, fence.attempt, JSON.stringify(result ?? null)],
    );
    if (done.length === 0) await this.#rejectStale(fence, 'complete');
    if (!tx) this.#emitSettled(done);
    else if (!this.#settled.crossProcess) void this.#emitIfCommitted(fence);
  }

  /**
   * Completes many attempts in one statement, each fenced by its own (task, attempt): a stale
   * attempt's completion changes nothing, as with `complete`. Returns the fences that were stale
   * (each counted as a rejected write); the others committed.
   */
  async completeMany(completions: readonly Completion[]): Promise<{ stale: Fence[] }> {
    if (completions.length === 0) return { stale: [] };
    const done = await this.#db.query<SettledRow & { attempt: number }>(
      `with c as (
         select * from jsonb_to_recordset($2::jsonb) as c(id uuid, attempt int, result jsonb)),
       done as (
         update tasks t set state = 'succeeded', result = coalesce(c.result, 'null'::jsonb), completed_at = ${NOW},
                updated_at = ${NOW}, lease_owner = null, locked_until = null, error = null
           from c
          where t.id = c.id and t.attempt = c.attempt and t.state = 'running'
         returning t.id, t.run_id, t.state, t.attempt)
       select id, run_id, state, attempt${this.#notifySettled()} from done`,
      [
        this.#now(),
        JSON.stringify(
          completions.map((c) => ({
            id: c.fence.taskId,
            attempt: c.fence.attempt,
            result: c.result ?? null,
          })),
        ),
      ],
    );
    this.#emitSettled(done);
    const committed = new Set(done.map((r) => `${r.id}:${r.attempt}`));
    const stale = completions.map((c) => c.fence).filter((f) => !committed.has(`${f.taskId}:${f.attempt}`));
    for (const fence of stale) await this.#recordStale(fence, 'complete');
    return { stale };
  }

  async #emitIfCommitted(fence: Fence): Promise<void> {
    try {
      this.#emitSettled(
        await this.#db.query<SettledRow>(
          `select id, run_id, state from tasks where id = $1 and attempt = $2 and state = 'succeeded'`,
          [fence.taskId, fence.attempt],
        ),
      );
    } catch {
      // The database closed meanwhile; there is no one left to tell.
    }
  }

  async fail(fence: Fence, request: FailRequest): Promise<FailOutcome> {
    const rows = await this.#db.transaction(async (tx) => {
      const updated = await tx.query<SettledRow & { type: string; phase: string | null; run_at: Date }>(
        `with upd as (
         update tasks
            set state = case when not $5::boolean then 'failed'
                             when attempt >= max_attempts then 'dead' else 'ready' end,
                run_at = ${NOW} + $6 * interval '1 millisecond',
                error = $4, lease_owner = null, locked_until = null, updated_at = ${NOW},
                input = case when $7::jsonb is not null and jsonb_typeof(input) = 'object' then input || $7::jsonb else input end,
                completed_at = case when $5::boolean and attempt < max_attempts then null else ${NOW} end,
                history = history || jsonb_build_array(jsonb_build_object(
                  'attempt', attempt, 'at', ${NOW}, 'outcome', 'failed', 'error', $4::jsonb))
          where id = $2 and attempt = $3 and state = 'running'
        returning id, state, run_id, type, run_at, (select p.phase_id from phases p where p.id = tasks.phase_id) as phase)
        select id, state, run_id, type, run_at, phase${this.#notifySettled()} from upd`,
        [
          this.#now(),
          fence.taskId,
          fence.attempt,
          JSON.stringify(request.error),
          request.error.retryable,
          request.retryDelayMs,
          request.patch ? JSON.stringify(request.patch) : null,
        ],
      );
      const row = updated[0];
      if (row) {
        const type =
          row.state === 'ready' ? 'task.retry' : row.state === 'dead' ? 'task.dead' : 'task.failed';
        const error = errorSummary(request.error);
        const payload =
          row.state === 'ready'
            ? {
                attempt: fence.attempt,
                strategy: request.strategy ?? 'backoff',
                delayMs: request.retryDelayMs,
                runAt: row.run_at.toISOString(),
                reason: error.message,
              }
            : row.state === 'dead'
              ? { attempts: fence.attempt, error }
              : { attempt: fence.attempt, error, willRetry: false };
        await this.#events(tx, [
          { type, runId: row.run_id, phase: row.phase, taskId: fence.taskId, payload },
        ]);
      }
      return updated;
    });
    const row = rows[0];
    if (!row) return this.#rejectStale(fence, 'fail');
    this.#emitSettled(rows);
    return row.state === 'ready' ? 'retry' : row.state === 'dead' ? 'dead' : 'failed';
  }

  async release(fence: Fence): Promise<void> {
    // The attempt was counted at claim; a graceful hand-back should not cost the task one, so the
    // budget grows by one instead of decrementing `attempt` (attempts must only ever increase, or an
    // old fence could become valid again).
    await this.#db.query(
      `update tasks set state = 'ready', lease_owner = null, locked_until = null, run_at = ${NOW},
              max_attempts = max_attempts + 1, updated_at = ${NOW},
              history = history || jsonb_build_array(jsonb_build_object('attempt', attempt, 'at', ${NOW}, 'outcome', 'released'))
        where id = $2 and attempt = $3 and state = 'running'`,
      [this.#now(), fence.taskId, fence.attempt],
    );
  }

  async reclaimExpired(limit = 500): Promise<ReclaimedTask[]> {
    const reclaimed = await this.#db.transaction(async (tx) => {
      const rows = await tx.query<{
        id: string;
        type: string;
        run_id: string | null;
        attempt: number;
        state: 'ready' | 'dead';
        phase: string | null;
        run_at: Date;
      }>(
        `with expired as (
           select id from tasks where state = 'running' and locked_until < ${NOW}
            order by locked_until limit $2 for update skip locked),
         upd as (
         update tasks t
            set state = case when t.attempt >= t.max_attempts then 'dead' else 'ready' end,
                run_at = ${NOW}, lease_owner = null, locked_until = null, updated_at = ${NOW},
                completed_at = case when t.attempt >= t.max_attempts then ${NOW} else null end,
                error = case when t.attempt >= t.max_attempts
                  then jsonb_build_object('code', 'LEASE_EXPIRED', 'message', 'lease expired on the last attempt (the worker died or hung); quarantined',
                                          'errorClass', 'transient', 'retryable', false)
                  else t.error end,
                history = t.history || jsonb_build_array(jsonb_build_object('attempt', t.attempt, 'at', ${NOW}, 'outcome', 'lease_expired'))
           from expired where t.id = expired.id
         returning t.id, t.type, t.run_id, t.attempt, t.state, t.run_at,
                   (select p.phase_id from phases p where p.id = t.phase_id) as phase)
         select id, type, run_id, attempt, state, run_at, phase${this.#notifySettled()} from upd`,
        [this.#now(), limit],
      );
      await this.#events(
        tx,
        rows.map((r) => ({
          type: r.state === 'dead' ? 'task.dead' : 'task.retry',
          runId: r.run_id,
          phase: r.phase,
          taskId: r.id,
          payload:
            r.state === 'dead'
              ? {
                  attempts: r.attempt,
                  error: {
                    code: 'LEASE_EXPIRED',
                    message: 'lease expired on the last attempt; quarantined',
                    errorClass: 'transient',
                    retryable: false,
                  },
                }
              : {
                  attempt: r.attempt,
                  strategy: 'reclaim',
                  delayMs: 0,
                  runAt: r.run_at.toISOString(),
                  reason: 'lease expired: the worker died or stopped heartbeating',
                },
        })),
      );
      if (rows.some((r) => r.state === 'ready')) {
        await tx.query('select pg_notify($1, $2)', [this.#db.channel(TASKS_CHANNEL), 'reclaimed']);
      }
      return rows;
    });
    this.#emitSettled(reclaimed);
    return reclaimed.map((r) => ({
      id: r.id,
      type: r.type,
      runId: r.run_id,
      attempt: r.attempt,
      state: r.state,
    }));
  }

  async runningLeases(runId: string): Promise<RunningLease[]> {
    const rows = await this.#db.query<{
      id: string;
      attempt: number;
      lease_owner: string;
      heartbeat_at: Date | null;
    }>(
      `select id, attempt, lease_owner, heartbeat_at from tasks
        where run_id = $1 and state = 'running' and lease_owner is not null`,
      [runId],
    );
    return rows.map((r) => ({
      fence: { taskId: r.id, attempt: r.attempt },
      owner: r.lease_owner,
      heartbeatAt: r.heartbeat_at,
    }));
  }

  async expireLeases(leases: readonly RunningLease[]): Promise<number> {
    if (leases.length === 0) return 0;
    const rows = await this.#db.query(
      `update tasks t set locked_until = ${NOW} - interval '1 millisecond', updated_at = ${NOW}
         from jsonb_to_recordset($2::jsonb) as l(id uuid, attempt int, owner text)
        where t.id = l.id and t.attempt = l.attempt and t.lease_owner = l.owner and t.state = 'running'
       returning t.id`,
      [
        this.#now(),
        JSON.stringify(leases.map((l) => ({ id: l.fence.taskId, attempt: l.fence.attempt, owner: l.owner }))),
      ],
    );
    return rows.length;
  }

  async cancel(taskId: string): Promise<boolean> {
    const cancelled = await this.#db.transaction(async (tx) => {
      const rows = await tx.query<SettledRow & { attempt: number; phase: string | null }>(
        `with upd as (
         update tasks set state = 'cancelled', lease_owner = null, locked_until = null,
                completed_at = ${NOW}, updated_at = ${NOW}
          where id = $2 and state in ('ready', 'running')
         returning id, run_id, state, attempt, (select p.phase_id from phases p where p.id = tasks.phase_id) as phase)
         select id, run_id, state, attempt, phase${this.#notifySettled()} from upd`,
        [this.#now(), taskId],
      );
      const row = rows[0];
      if (row)
        await this.#events(tx, [
          {
            type: 'task.cancelled',
            runId: row.run_id,
            phase: row.phase,
            taskId,
            payload: { reason: 'cancelled by an operator or a run signal', attempt: row.attempt },
          },
        ]);
      return rows;
    });
    this.#emitSettled(cancelled);
    return cancelled.length > 0;
  }

  async retry(taskId: string): Promise<boolean> {
    // Attempts only ever grow (they are the fence), so a retry grants a fresh budget on top.
    const rows = await this.#db.query(
      `update tasks set state = 'ready', run_at = ${NOW}, completed_at = null, updated_at = ${NOW},
              max_attempts = attempt + $3
        where id = $2 and state in ('failed', 'dead', 'cancelled') returning id`,
      [this.#now(), taskId, this.#defaultMaxAttempts],
    );
    if (rows.length > 0)
      await this.#db.query('select pg_notify($1, $2)', [this.#db.channel(TASKS_CHANNEL), 'retry']);
    return rows.length > 0;
  }

  async get(taskId: string): Promise<TaskRecord | undefined> {
    const rows = await this.#db.query<TaskRow>(`select ${TASK_COLUMNS} from tasks where id = $1`, [taskId]);
    return rows[0] ? toTaskRecord(rows[0]) : undefined;
  }

  async list(request: ListRequest = {}): Promise<TaskRecord[]> {
    const rows = await this.#db.query<TaskRow>(
      `select ${TASK_COLUMNS} from tasks
        where ($1::text is null or state = $1) and ($2::text is null or type = $2) and ($3::uuid is null or run_id = $3)
        order by created_at desc, id limit $4`,
      [request.state ?? null, request.type ?? null, request.runId ?? null, request.limit ?? 100],
    );
    return rows.map(toTaskRecord);
  }

  async stats(): Promise<QueueStats> {
    const rows = await this.#db.query<{ state: TaskState; n: number; stale: number }>(
      'select state, count(*)::int as n, coalesce(sum(stale_writes), 0)::int as stale from tasks group by state',
    );
    const due = await this.#db.query<{ due: number; oldest_ms: number | null }>(
      `select count(*)::int as due,
              (extract(epoch from (${NOW} - min(run_at))) * 1000)::float8 as oldest_ms
         from tasks where state = 'ready' and run_at <= ${NOW}`,
      [this.#now()],
    );
    const byState = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<TaskState, number>;
    let staleWritesRejected = 0;
    for (const row of rows) {
      byState[row.state] = row.n;
      staleWritesRejected += row.stale;
    }
    const d = due[0];
    return {
      byState,
      due: d?.due ?? 0,
      oldestReadyAgeMs: d?.oldest_ms == null ? null : Math.max(0, Math.round(d.oldest_ms)),
      staleWritesRejected,
    };
  }

  async onWake(listener: () => void): Promise<() => Promise<void>> {
    return this.#db.listen(TASKS_CHANNEL, () => listener());
  }

  onSettled(listener: (event: TaskSettled) => void): Promise<() => Promise<void>> {
    return this.#settled.subscribe(listener);
  }

  async outcomes(ids: readonly string[]): Promise<Map<string, TaskOutcome>> {
    const outcomes = new Map<string, TaskOutcome>();
    if (ids.length === 0) return outcomes;
    const rows = await this.#db.query<{
      id: string;
      state: TaskState;
      result: unknown;
      error: SerializedError | null;
    }>('select id, state, result, error from tasks where id = any($1::uuid[])', [ids]);
    for (const r of rows) outcomes.set(r.id, { state: r.state, result: r.result, error: r.error });
    return outcomes;
  }

  /** Counts the rejected write on the task (for the crash-test figures) and throws STALE_ATTEMPT. */
  async #rejectStale(fence: Fence, write: StaleWrite): Promise<never> {
    await this.#recordStale(fence, write);
    throw staleAttempt(fence, write);
  }

  async #recordStale(fence: Fence, write: StaleWrite): Promise<void> {
    await recordStaleWrite(this.#db, fence, write);
  }
}

/** The event form of an error: code, message, class and retryability (no details, no causes). */
function errorSummary(e: SerializedError): {
  code: string;
  message: string;
  errorClass: string;
  retryable: boolean;
} {
  return { code: e.code, message: e.message, errorClass: e.errorClass, retryable: e.retryable };
}
