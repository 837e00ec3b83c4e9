import type { Queryable } from './database.ts';

/**
 * `phase_metrics`: one row per phase generation, written in the transaction that ends the phase
 * (its finish or escalate step), so a crash either loses the row with the step (and the re-run
 * writes it) or keeps both. Figures are computed from what is stored — the phase's tasks, its
 * usage, its durable-step journal — never from a process's memory, so a resumed phase reports the
 * whole phase, not the part after the crash.
 */

export type PhaseEndOutcome = 'passed' | 'failed';

export interface PhaseEnd {
  runId: string;
  phase: string;
  generation: number;
  outcome: PhaseEndOutcome;
  /** Default: the count stored on the phase. */
  gateAttempts?: number;
  /** The durable-step scope of this generation; its first step's time is when the generation started. */
  stepScope: string;
}

export interface PhaseMetricsRecord {
  runId: string;
  phase: string;
  generation: number;
  outcome: PhaseEndOutcome;
  startedAt: Date;
  completedAt: Date;
  durationMs: number;
  /** Tasks the generation enqueued (a task reused by idempotency key from an earlier generation is not counted). */
  tasks: number;
  tasksSucceeded: number;
  tasksFailed: number;
  /** Run time of finished tasks (first claim to completion), in milliseconds; null without finished tasks. */
  taskP50Ms: number | null;
  taskP95Ms: number | null;
  gateAttempts: number;
  /** Spent by this generation: the phase's usage minus what earlier generations' rows recorded. */
  tokens: number;
  costUsd: number;
  /** Attempts beyond each task's first. */
  retries: number;
  /** Times the supervisor took a stalled attempt away. */
  stalls: number;
}

interface Row extends Record<string, unknown> {
  run_id: string;
  phase: string;
  generation: number;
  outcome: PhaseEndOutcome;
  started_at: Date;
  completed_at: Date;
  duration_ms: number;
  tasks: number;
  tasks_succeeded: number;
  tasks_failed: number;
  task_p50_ms: number | null;
  task_p95_ms: number | null;
  gate_attempts: number;
  tokens: number;
  cost_usd: number;
  retries: number;
  stalls: number;
}

const COLUMNS = `run_id, phase, generation, outcome, started_at, completed_at, duration_ms, tasks, tasks_succeeded,
  tasks_failed, task_p50_ms, task_p95_ms, gate_attempts, tokens, cost_usd, retries, stalls`;

/**
 * Computes and upserts the row of one phase generation. Idempotent: writing it again (a replayed
 * end step, an error path after a recorded end) recomputes the same figures into the same row.
 */
export async function recordPhaseMetrics(q: Queryable, end: PhaseEnd): Promise<PhaseMetricsRecord> {
  const rows = await q.query<Row>(
    `with ph as (
       select p.id, p.run_id, p.phase_id, p.started_at, p.usage, p.gate_attempts,
              coalesce((select min(s.created_at) from step_results s where s.scope = $4), p.started_at, now())
                as window_start
         from phases p where p.run_id = $1 and p.phase_id = $2),
     t as (
       select t.state, t.attempt, t.history,
              extract(epoch from (t.completed_at - t.started_at)) * 1000 as run_ms
         from tasks t, ph where t.phase_id = ph.id and t.created_at >= ph.window_start),
     earlier as (
       select coalesce(sum(m.tokens), 0) as tokens, coalesce(sum(m.cost_usd), 0) as cost_usd
         from phase_metrics m where m.run_id = $1 and m.phase = $2 and m.generation < $3)
     insert into phase_metrics (run_id, phase, generation, outcome, started_at, completed_at, duration_ms, tasks,
                                tasks_succeeded, tasks_failed, task_p50_ms, task_p95_ms, gate_attempts, tokens,
                                cost_usd, retries, stalls, data)
     select ph.run_id, ph.phase_id, $3, $5, ph.window_start, now(),
            greatest(0, round(extract(epoch from (now() - ph.window_start)) * 1000))::bigint,
            (select count(*) from t)::int,
            (select count(*) from t where t.state = 'succeeded')::int,
            (select count(*) from t where t.state in ('failed', 'dead'))::int,
            (select percentile_cont(0.5) within group (order by t.run_ms) from t where t.run_ms is not null),
            (select percentile_cont(0.95) within group (order by t.run_ms) from t where t.run_ms is not null),
            coalesce($6::int, ph.gate_attempts),
            greatest(0, round(coalesce((ph.usage ->> 'tokens')::float8, 0) - earlier.tokens))::bigint,
            greatest(0, coalesce((ph.usage ->> 'usd')::float8, 0) - earlier.cost_usd),
            (select coalesce(sum(greatest(t.attempt - 1, 0)), 0) from t)::int,
            (select count(*) from t, jsonb_array_elements(t.history) h where h ->> 'outcome' = 'stalled')::int,
            jsonb_build_object('tasksByState',
              (select coalesce(jsonb_object_agg(s.state, s.n), '{}'::jsonb)
                 from (select t.state, count(*) as n from t group by t.state) s))
       from ph, earlier
     on conflict (run_id, phase, generation) do update set
       outcome = excluded.outcome, started_at = excluded.started_at, completed_at = excluded.completed_at,
       duration_ms = excluded.duration_ms, tasks = excluded.tasks, tasks_succeeded = excluded.tasks_succeeded,
       tasks_failed = excluded.tasks_failed, task_p50_ms = excluded.task_p50_ms,
       task_p95_ms = excluded.task_p95_ms, gate_attempts = excluded.gate_attempts, tokens = excluded.tokens,
       cost_usd = excluded.cost_usd, retries = excluded.retries, stalls = excluded.stalls, data = excluded.data,
       updated_at = now()
     returning ${COLUMNS}`,
    [end.runId, end.phase, end.generation, end.stepScope, end.outcome, end.gateAttempts ?? null],
  );
  const row = rows[0];
  if (!row) throw new Error(`phase ${end.phase} of run ${end.runId} does not exist`);
  return toRecord(row);
}

/** A run's phase_metrics rows, in the order the phases ended. */
export async function listPhaseMetrics(q: Queryable, runId: string): Promise<PhaseMetricsRecord[]> {
  const rows = await q.query<Row>(
    `select ${COLUMNS} from phase_metrics where run_id = $1 order by completed_at, phase, generation`,
    [runId],
  );
  return rows.map(toRecord);
}

function toRecord(row: Row): PhaseMetricsRecord {
  const ms = (v: number | null) => (v === null ? null : Math.round(Number(v)));
  return {
    runId: row.run_id,
    phase: row.phase,
    generation: row.generation,
    outcome: row.outcome,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    durationMs: Number(row.duration_ms),
    tasks: row.tasks,
    tasksSucceeded: row.tasks_succeeded,
    tasksFailed: row.tasks_failed,
    taskP50Ms: ms(row.task_p50_ms),
    taskP95Ms: ms(row.task_p95_ms),
    gateAttempts: row.gate_attempts,
    tokens: Number(row.tokens),
    costUsd: Number(row.cost_usd),
    retries: row.retries,
    stalls: row.stalls,
  };
}
