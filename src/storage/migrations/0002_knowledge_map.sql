-- The Knowledge Map: atomic frames (subject, predicate, object) refined from accepted Q/A/V answers.
-- Postgres 15 subset, as 0001. Full-text search uses a stored generated tsvector: to_tsvector with
-- an explicit regconfig is immutable, so it is allowed in a generated column on PG 15 and PGlite.

create table kmap_frames (
  id            uuid primary key default gen_random_uuid(),
  -- Insertion order: fusion keeps the oldest frame of equal ones as the canonical one.
  seq           bigint generated always as identity unique,
  run_id        uuid not null references runs (id) on delete cascade,
  phase_id      text not null,
  subject       text not null,
  predicate     text not null,
  object        text not null,
  -- Normalised (subject, predicate) and object, computed by the refinery: fusion groups on these.
  topic_key     text not null,
  object_key    text not null,
  confidence    double precision not null check (confidence >= 0 and confidence <= 1),
  -- { runId, phase, questionId, question, claimIds, citations: [{ artifactId, path, quote }], model }
  provenance    jsonb not null,
  status        text not null default 'active' check (status in ('active', 'merged', 'conflict')),
  merged_into   uuid references kmap_frames (id),
  search        tsvector generated always as (
                  to_tsvector('english'::regconfig, subject || ' ' || predicate || ' ' || object)
                ) stored,
  created_at    timestamptz not null default now(),
  check ((status = 'merged') = (merged_into is not null))
);
create index kmap_frames_run on kmap_frames (run_id, phase_id, seq);
create index kmap_frames_topic on kmap_frames (run_id, topic_key);
create index kmap_frames_search on kmap_frames using gin (search);

-- One row per (run, subject+predicate) whose frames disagree on the object; updated as frames join.
create table kmap_conflicts (
  id            uuid primary key default gen_random_uuid(),
  run_id        uuid not null references runs (id) on delete cascade,
  phase_id      text not null,
  topic_key     text not null,
  subject       text not null,
  predicate     text not null,
  -- The canonical frame of each distinct object: [{ frameId, object, sources }].
  objects       jsonb not null,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  unique (run_id, topic_key)
);

create index assumptions_status on assumptions (run_id, status);
