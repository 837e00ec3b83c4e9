-- Idempotent artifact writes: a phase that resumes after a crash re-inserts the outputs of tasks it
-- already stored; the key (e.g. "task:<task id>") makes the second insert a no-op.
alter table artifacts add column idempotency_key text;
create unique index artifacts_idempotency on artifacts (idempotency_key);
alter table artifacts add column task_id uuid;

-- One evidence pack per phase gate attempt.
create unique index evidence_packs_attempt on evidence_packs (run_id, phase_id, attempt);

-- A phase retried by an operator after it failed starts a new generation: its durable steps live in
-- a new scope, so the replay of the failed generation does not decide the new one.
alter table phases add column generation integer not null default 0;
