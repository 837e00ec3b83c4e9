-- One statement appends a batch of ledger entries (H5, issue 13). The chain needs the run's last
-- hash read AFTER its chain lock is held; a plain `insert ... select` cannot do that, because its
-- snapshot is taken before the lock is granted and would read a stale head (a forked chain). A
-- VOLATILE function takes a fresh snapshot for each query it runs, so the head read below sees every
-- append committed before the lock was granted. The hashed text is composed by the caller
-- (observability/ledger.ts): `before || <prev hash as a JSON string, or null> || after`.
create function ledger_append(p_entries jsonb) returns setof ledger language plpgsql volatile as $$
declare
  e jsonb;
  run uuid;
  prev text;
  row ledger%rowtype;
begin
  -- Every run's chain lock first, in one order, so two batches over the same runs cannot deadlock.
  -- The key matches lockRunChain (7270002 = LEDGER_LOCK in ledger-store.ts).
  perform pg_advisory_xact_lock(7270002, hashtext(k))
     from (select distinct coalesce((x ->> 'runId')::uuid::text, '') as k
             from jsonb_array_elements(p_entries) as x order by 1) as keys;
  for e in select x from jsonb_array_elements(p_entries) as x loop
    run := (e ->> 'runId')::uuid;
    -- Sees this batch's earlier inserts too (same transaction, later command).
    select l.hash into prev from ledger l where l.run_id is not distinct from run order by l.seq desc limit 1;
    insert into ledger (run_id, type, data, provenance, prev_hash, hash)
    values (run, e ->> 'type', e -> 'data', e -> 'provenance', prev,
            encode(sha256(convert_to((e ->> 'before') || coalesce('"' || prev || '"', 'null') || (e ->> 'after'),
                                     'UTF8')), 'hex'))
    returning * into row;
    return next row;
  end loop;
end;
$$;
