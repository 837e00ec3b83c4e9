-- Supervision: stall detection on liveness and on progress, the unsticker ladder, sagas.

-- Liveness: a running task with no heartbeat for this long is stalled (stall_threshold_heartbeats ×
-- heartbeat_seconds of its phase); null = only the lease applies.
alter table tasks add column stall_after_ms integer check (stall_after_ms is null or stall_after_ms > 0);
-- Progress: when the reported progress last changed, and the last fingerprints (loop detection).
alter table tasks add column progress_at timestamptz;
alter table tasks add column progress_trail jsonb not null default '[]';
-- How many unsticker rungs have been applied, and a request to the worker (e.g. 'checkpoint').
alter table tasks add column unstick_rung integer not null default 0;
alter table tasks add column control text check (control in ('checkpoint'));
alter table tasks add column control_at timestamptz;
create index tasks_supervised on tasks (heartbeat_at) where state = 'running' and stall_after_ms is not null;

-- Sagas: compensating actions registered by steps, run in reverse order when a phase is abandoned.
create table compensations (
  id          uuid primary key default gen_random_uuid(),
  run_id      uuid not null references runs (id) on delete cascade,
  phase_id    text not null,
  seq         bigint generated always as identity,
  step_key    text not null,
  action      text not null,
  args        jsonb not null default '{}',
  state       text not null default 'registered' check (state in ('registered', 'compensated', 'failed')),
  created_at  timestamptz not null default now(),
  done_at     timestamptz,
  unique (run_id, phase_id, step_key, action)
);
create index compensations_phase on compensations (run_id, phase_id, seq);

-- Artifacts and knowledge frames retracted by a compensation stay (the ledger references them) but
-- are marked so nothing downstream uses them.
alter table artifacts add column retracted_at timestamptz;
