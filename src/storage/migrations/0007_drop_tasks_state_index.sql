-- tasks_state (state) has a handful of distinct values; the planner used it for fenced writes
-- (checkpoint, complete) instead of the primary key and read every running task's entry per write
-- (BENCHMARKS.md, finding 4). The partial indexes on ready and running tasks cover the queue's scans.
drop index tasks_state;
