-- IdeaMine core schema. Postgres 15 subset: it runs unchanged on PGlite (PG 18) and on a PG 15 server.
-- Timestamps are timestamptz (the spec's bare TIMESTAMP loses the zone when processes disagree on it).

create table runs (
  id              uuid primary key default gen_random_uuid(),
  idea            jsonb not null,
  status          text not null default 'pending'
                  check (status in ('pending', 'running', 'paused', 'succeeded', 'failed', 'cancelled')),
  version         text not null default '1.0.0',
  plan            jsonb,
  plan_hash       text,
  budgets         jsonb not null default '{}',
  usage           jsonb not null default '{}',
  -- The run lease (invariant 10): exactly one process drives a run; another takes over when it lapses.
  lease_owner     text,
  lease_until     timestamptz,
  lease_epoch     integer not null default 0,
  -- A persisted operator signal (pause, cancel) that the driving process honours.
  signal          text check (signal in ('pause', 'cancel')),
  error           jsonb,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  started_at      timestamptz,
  completed_at    timestamptz
);
create index runs_status on runs (status, created_at desc);

create table phases (
  id                 uuid primary key default gen_random_uuid(),
  run_id             uuid not null references runs (id) on delete cascade,
  phase_id           text not null,
  status             text not null default 'pending'
                     check (status in ('pending', 'running', 'paused', 'passed', 'failed', 'cancelled', 'skipped')),
  stage              text,
  gate_attempts      integer not null default 0,
  budgets            jsonb not null default '{}',
  usage              jsonb not null default '{}',
  plan_hash          text,
  evidence_pack_id   uuid,
  signal             text check (signal in ('pause', 'cancel', 'retry')),
  error              jsonb,
  started_at         timestamptz,
  completed_at       timestamptz,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  unique (run_id, phase_id)
);
create index phases_status on phases (status);

-- The tasks table is the queue (invariant 1).
create table tasks (
  id               uuid primary key default gen_random_uuid(),
  run_id           uuid references runs (id) on delete cascade,
  phase_id         uuid references phases (id) on delete cascade,
  kind             text not null default 'system' check (kind in ('agent', 'tool', 'system')),
  type             text not null,
  queue            text not null default 'default',
  input            jsonb not null default '{}',
  idempotency_key  text unique,
  state            text not null default 'ready'
                   check (state in ('ready', 'running', 'succeeded', 'failed', 'dead', 'cancelled')),
  priority         integer not null default 0,
  run_at           timestamptz not null default now(),
  attempt          integer not null default 0,
  max_attempts     integer not null default 5 check (max_attempts >= 1),
  lease_ms         integer not null default 30000 check (lease_ms > 0),
  lease_owner      text,
  locked_until     timestamptz,
  heartbeat_at     timestamptz,
  progress         jsonb,
  result           jsonb,
  error            jsonb,
  -- One entry per failed or lost attempt: { attempt, at, error }.
  history          jsonb not null default '[]',
  cost             jsonb,
  stale_writes     integer not null default 0,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  started_at       timestamptz,
  completed_at     timestamptz
);
-- Claim order: priority first, then due time; the partial index keeps the scan to ready rows.
create index tasks_ready on tasks (queue, priority desc, run_at, id) where state = 'ready';
create index tasks_leases on tasks (locked_until) where state = 'running';
create index tasks_phase on tasks (phase_id);
create index tasks_run on tasks (run_id);
create index tasks_state on tasks (state);

create table checkpoints (
  task_id     uuid primary key references tasks (id) on delete cascade,
  attempt     integer not null,
  token       text not null,
  data        jsonb not null,
  created_at  timestamptz not null default now()
);

create table events (
  seq         bigint generated always as identity primary key,
  id          uuid not null default gen_random_uuid() unique,
  run_id      uuid references runs (id) on delete cascade,
  phase_id    text,
  task_id     uuid,
  event_type  text not null,
  payload     jsonb not null default '{}',
  created_at  timestamptz not null default now()
);
create index events_run on events (run_id, seq);
create index events_type on events (event_type);

-- Durable timers (invariant 7): rows claimed like tasks; each fires once, late rather than never.
create table timers (
  id            uuid primary key default gen_random_uuid(),
  key           text not null unique,
  kind          text not null check (kind in ('retry', 'timeout', 'timebox', 'custom')),
  run_id        uuid references runs (id) on delete cascade,
  task_id       uuid,
  fire_at       timestamptz not null,
  payload       jsonb not null default '{}',
  state         text not null default 'pending' check (state in ('pending', 'firing', 'fired', 'cancelled')),
  attempt       integer not null default 0,
  locked_until  timestamptz,
  fired_at      timestamptz,
  created_at    timestamptz not null default now()
);
create index timers_due on timers (fire_at) where state = 'pending';
create index timers_firing on timers (locked_until) where state = 'firing';

-- Durable steps (invariant 9): results by (scope, position); the key checks determinism on replay.
create table step_results (
  scope       text not null,
  position    integer not null,
  key         text not null,
  output      jsonb,
  created_at  timestamptz not null default now(),
  primary key (scope, position)
);

create table assumptions (
  id                  uuid primary key default gen_random_uuid(),
  run_id              uuid not null references runs (id) on delete cascade,
  phase_id            text not null,
  assumption          text not null,
  rationale           text,
  mitigation          text,
  mitigation_task_id  uuid,
  status              text not null default 'active' check (status in ('active', 'validated', 'invalidated')),
  created_at          timestamptz not null default now(),
  validated_at        timestamptz
);
create index assumptions_run on assumptions (run_id, phase_id);

create table artifacts (
  id          uuid primary key default gen_random_uuid(),
  run_id      uuid not null references runs (id) on delete cascade,
  phase_id    text not null,
  type        text not null,
  name        text not null,
  content     jsonb not null,
  hash        text not null,
  provenance  jsonb not null,
  created_at  timestamptz not null default now()
);
create index artifacts_run on artifacts (run_id, phase_id);
create index artifacts_source on artifacts ((provenance ->> 'source'));

create table evidence_packs (
  id             uuid primary key default gen_random_uuid(),
  run_id         uuid not null references runs (id) on delete cascade,
  phase_id       text not null,
  attempt        integer not null default 1,
  artifacts      jsonb not null,
  guard_reports  jsonb not null,
  qav_summary    jsonb,
  kmap_refs      jsonb,
  metrics        jsonb,
  created_at     timestamptz not null default now()
);
create index evidence_run on evidence_packs (run_id, phase_id);

-- The ledger is append-only: a trigger rejects UPDATE and DELETE. Each entry hashes the previous
-- entry of its run (hash chain). The spec's DDL had a trailing comma and no chain.
create table ledger (
  seq         bigint generated always as identity primary key,
  id          uuid not null default gen_random_uuid() unique,
  run_id      uuid references runs (id) on delete cascade,
  created_at  timestamptz not null default now(),
  type        text not null check (type in ('task', 'gate', 'decision', 'artifact', 'cost', 'signature')),
  data        jsonb not null,
  provenance  jsonb not null,
  prev_hash   text,
  hash        text not null
);
create index ledger_run on ledger (run_id, seq);
create index ledger_type on ledger (type);

create function ledger_is_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'ledger is append-only: % rejected', tg_op using errcode = 'P0001';
end;
$$;
create trigger ledger_append_only before update or delete on ledger
  for each row execute function ledger_is_append_only();

create table phase_metrics (
  id          uuid primary key default gen_random_uuid(),
  run_id      uuid not null references runs (id) on delete cascade,
  phase       text not null,
  data        jsonb not null,
  created_at  timestamptz not null default now()
);
create index phase_metrics_run on phase_metrics (run_id, phase);

create table waivers (
  id                    uuid primary key default gen_random_uuid(),
  run_id                uuid not null references runs (id) on delete cascade,
  phase                 text not null,
  violation_type        text not null,
  owner                 text not null,
  expires_at            timestamptz not null,
  compensating_control  text not null,
  status                text not null default 'active' check (status in ('active', 'revoked')),
  created_at            timestamptz not null default now()
);
create index waivers_run on waivers (run_id, phase);

create table release_dossiers (
  id          uuid primary key default gen_random_uuid(),
  run_id      uuid not null unique references runs (id) on delete cascade,
  version     text not null,
  content     jsonb not null,
  created_at  timestamptz not null default now()
);
