-- Signed ledger heads (Ed25519). The private key never enters the database: only public keys and
-- signed statements do. A statement names a run's chain head (seq, hash, entry count) and links to
-- the previous statement signed with the same key, so each installation key has one unbroken chain
-- of heads (position n = 1, 2, 3, ...). No foreign key to runs: a run's signed heads must outlive the
-- rows they vouch for, or deleting the run would erase the evidence that it had entries.

create table ledger_keys (
  key_id      text primary key,
  public_key  text not null,
  created_at  timestamptz not null default now()
);

create table ledger_heads (
  key_id      text not null,
  n           bigint not null,
  statement   jsonb not null,
  signature   text not null,
  created_at  timestamptz not null default now(),
  primary key (key_id, n)
);
create index ledger_heads_run on ledger_heads ((statement ->> 'runId'));

create trigger ledger_heads_append_only before update or delete on ledger_heads
  for each row execute function ledger_is_append_only();
create trigger ledger_keys_append_only before update or delete on ledger_keys
  for each row execute function ledger_is_append_only();
