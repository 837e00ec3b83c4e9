-- Lineage. An artifact's edges are the `inputs` array of its provenance (written in the same insert as
-- the artifact). Ancestors follow those ids to the primary key; descendants (`ideamine lineage --down`)
-- ask which artifacts list a given id among their inputs, which this index answers without reading
-- every artifact's provenance.
create index artifacts_inputs on artifacts using gin ((provenance -> 'inputs') jsonb_path_ops);
