-- Observability (issue 12): trace context travels with each task; phase_metrics gets one row per
-- phase generation with real columns.

-- The W3C trace context (traceparent, tracestate) of the span that enqueued the task, so the worker
-- that runs it, in any process, continues that trace. Kept out of `input`: it must not change the
-- idempotency key.
alter table tasks add column trace_context jsonb;

-- phase_metrics was created in 0001 and never written; these columns replace free-form `data`.
alter table phase_metrics alter column data set default '{}';
alter table phase_metrics add column generation integer not null default 0;
alter table phase_metrics add column outcome text not null default 'passed' check (outcome in ('passed', 'failed'));
alter table phase_metrics add column started_at timestamptz not null default now();
alter table phase_metrics add column completed_at timestamptz not null default now();
alter table phase_metrics add column duration_ms bigint not null default 0;
alter table phase_metrics add column tasks integer not null default 0;
alter table phase_metrics add column tasks_succeeded integer not null default 0;
alter table phase_metrics add column tasks_failed integer not null default 0;
alter table phase_metrics add column task_p50_ms float8;
alter table phase_metrics add column task_p95_ms float8;
alter table phase_metrics add column gate_attempts integer not null default 0;
alter table phase_metrics add column tokens bigint not null default 0;
alter table phase_metrics add column cost_usd float8 not null default 0;
alter table phase_metrics add column retries integer not null default 0;
alter table phase_metrics add column stalls integer not null default 0;
alter table phase_metrics add column updated_at timestamptz not null default now();
-- One row per (run, phase, generation): the phase's end upserts it, so a replay writes it once.
drop index phase_metrics_run;
create unique index phase_metrics_generation on phase_metrics (run_id, phase, generation);
