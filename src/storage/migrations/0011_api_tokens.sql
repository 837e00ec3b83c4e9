-- Bearer tokens of the HTTP API. Only the SHA-256 of a token's secret is stored: a leaked table
-- cannot be replayed against the API. `ideamine token create` shows the secret once.
create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  hash text not null unique,
  name text,
  scopes text[] not null check (cardinality(scopes) > 0),
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  last_used_at timestamptz
);
