import { openBenchDatabase } from '../subjects/ideamine.ts';
import type { BenchContext } from './context.ts';
import { type Floor, pgbench } from './floors.ts';
import { uniqueSuffix } from './pg-admin.ts';

/**
 * The B1 floor: pgbench runs the engine's own per-task statements (copied from
 * src/queue/sql-task-queue.ts, with clock_timestamp() for the optional injected clock) against a
 * freshly migrated IdeaMine schema, so the table and indexes are identical; the driver, the
 * JavaScript and the pool are missing. One script execution = one task.
 *
 * One deliberate difference: the claim filters `queue = 'default'` instead of the engine's
 * `($2 is null or queue = any($2))`. With the engine's predicate no index yields the ORDER BY, so
 * every claim reads and sorts the whole ready backlog (4.3 ms per claim at 5,000 ready rows, 0.1 ms
 * with the equality; see BENCHMARKS.md). A floor is what the database can do for this work, so it
 * uses the plan the tasks_ready index was built for.
 */

// One statement per entry; pgbench wants each on one line.
const ENQUEUE = [
  'BEGIN;',
  `insert into tasks (type, kind, queue, input, run_id, phase_id, priority, run_at, max_attempts, lease_ms, idempotency_key)
     values ('bench.noop', 'system', 'default', '{"i": 1}', null, null, 0, clock_timestamp(), 5, 30000, null);`,
  "select pg_notify('ideamine_tasks', 'default');",
  'COMMIT;',
];

const CLAIM = [
  `with next as (
     select id from tasks
      where state = 'ready' and queue = 'default' and run_at <= clock_timestamp() and type = any('{bench.noop}'::text[])
      order by priority desc, run_at, id limit 1 for update skip locked)
   update tasks t
      set state = 'running', attempt = t.attempt + 1, lease_owner = 'pgbench',
          locked_until = clock_timestamp() + t.lease_ms * interval '1 millisecond',
          heartbeat_at = clock_timestamp(), started_at = coalesce(t.started_at, clock_timestamp()), updated_at = clock_timestamp()
     from next where t.id = next.id
   returning t.id as claimed_id, t.attempt as claimed_attempt, t.type, t.input,
     (select jsonb_build_object('token', c.token, 'data', c.data, 'attempt', c.attempt)
        from checkpoints c where c.task_id = t.id) as checkpoint \\gset`,
];

const COMPLETE = [
  `update tasks set state = 'succeeded', result = 'null', completed_at = clock_timestamp(), updated_at = clock_timestamp(),
          lease_owner = null, locked_until = null, error = null
    where id = :claimed_id and attempt = :claimed_attempt and state = 'running' returning id;`,
];

function script(statements: readonly string[]): string {
  return `${statements.map((s) => s.replace(/\s*\n\s*/g, ' ').trim()).join('\n')}\n`;
}

export const FLOOR_SCRIPTS = {
  'insert+claim+complete': script([...ENQUEUE, ...CLAIM, ...COMPLETE]),
  'claim+complete': script([...CLAIM, ...COMPLETE]),
} as const;

export interface QueueFloors {
  'insert+claim+complete': Floor;
  'claim+complete': Floor;
  clients: number;
}

export async function measureQueueFloors(ctx: BenchContext, clients: number): Promise<QueueFloors> {
  const { db, schema, cleanup } = await openBenchDatabase(
    'postgres',
    { pgUrl: ctx.pgUrl, suffix: uniqueSuffix() },
    'floor',
  );
  const seconds = ctx.sizes.pgbenchSeconds;
  try {
    // A standing backlog so that a claim never comes back empty (pgbench's \gset needs one row).
    await prefill(db, 2_000);
    const full = await pgbench(ctx, {
      script: FLOOR_SCRIPTS['insert+claim+complete'],
      clients,
      seconds,
      ...(schema ? { schema } : {}),
    });
    // claim+complete drains a prefilled table: size it from the first run so it lasts ~`seconds`.
    const rate = 'na' in full ? 2_000 : full.ratePerS;
    const perClient = Math.max(50, Math.ceil((rate * 1.5 * Math.max(seconds, 0.2)) / clients));
    await db.exec('truncate tasks cascade');
    await prefill(db, perClient * clients + 2_000);
    await db.exec('vacuum analyze tasks');
    const drain = await pgbench(ctx, {
      script: FLOOR_SCRIPTS['claim+complete'],
      clients,
      transactionsPerClient: perClient,
      ...(schema ? { schema } : {}),
    });
    return { 'insert+claim+complete': full, 'claim+complete': drain, clients };
  } finally {
    await cleanup();
  }
}

async function prefill(db: { exec(sql: string): Promise<void> }, rows: number): Promise<void> {
  await db.exec(
    `insert into tasks (type, input) select 'bench.noop', jsonb_build_object('i', g) from generate_series(1, ${Math.floor(rows)}) g`,
  );
}

/** B2's floor: one client running the enqueue transaction (insert + NOTIFY + commit) back to back. */
export async function measureEnqueueFloor(ctx: BenchContext): Promise<Floor> {
  const { schema, cleanup } = await openBenchDatabase(
    'postgres',
    { pgUrl: ctx.pgUrl, suffix: uniqueSuffix() },
    'floor',
  );
  try {
    return await pgbench(ctx, {
      script: script(ENQUEUE),
      clients: 1,
      seconds: ctx.sizes.pgbenchSeconds,
      ...(schema ? { schema } : {}),
    });
  } finally {
    await cleanup();
  }
}
