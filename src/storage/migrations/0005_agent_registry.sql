-- The agent registry: versioned definitions of agents IdeaMine generated itself (the auto-doer).
-- Builtin agents are code; a generated agent is a spec that one factory turns into a definition.
create table agent_registry (
  id          text not null,
  version     text not null,
  phase       text not null,
  spec        jsonb not null,
  source      text not null default 'auto-doer',
  created_at  timestamptz not null default now(),
  primary key (id, version)
);
