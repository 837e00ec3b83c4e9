import pg from 'pg';
import type { BenchContext } from './context.ts';
import { CpuWindow } from './cpu.ts';
import { type Floor, pgbench } from './floors.ts';
import { dropSchema, uniqueSuffix } from './pg-admin.ts';
import type { CpuFigures, ExactlyOnce } from './record.ts';

/**
 * B1's floor: the plainest queue Postgres can run — a minimal table, a `FOR UPDATE SKIP LOCKED`
 * claim of one row in its own statement and a completion in another (two commits per job, the
 * same round trips a per-task queue makes). Deliberately NOT IdeaMine's claim SQL: a floor built
 * from the subject's own statements inherits their cost and flatters the subject.
 * Measured twice: pgbench (no driver, no JavaScript) and a raw Node loop on `pg` (the driver and
 * the event loop, nothing else).
 */

const TABLE = 'floor_jobs';

const CLAIM = `update ${TABLE} set state = 'running'
  where id = (select id from ${TABLE} where state = 'ready' order by id limit 1 for update skip locked)
  returning id, payload`;
const COMPLETE = `update ${TABLE} set state = 'done' where id = $1`;

/** pgbench script: one execution = one job claimed and completed. */
const PGBENCH_SCRIPT = `${CLAIM.replace(/\s*\n\s*/g, ' ')} \\gset\n${COMPLETE.replace('$1', ':id')};\n`;

export interface PlainFloorRun {
  ratePerS: number;
  drainMs: number;
  check: ExactlyOnce;
  cpu: CpuFigures;
}

/** A schema of its own holding the minimal table; `fill` empties and refills it with `rows` jobs. */
export class PlainFloorStore {
  readonly schema = `bench_floor_${uniqueSuffix()}`;
  readonly #ctx: BenchContext;
  readonly #admin: pg.Pool;

  constructor(ctx: BenchContext) {
    this.#ctx = ctx;
    this.#admin = new pg.Pool({ connectionString: ctx.pgUrl, max: 1, application_name: 'bench-floor' });
    this.#admin.on('error', () => {});
  }

  async setup(): Promise<void> {
    await this.#admin.query(`create schema ${this.schema}`);
    await this.#admin.query(
      `create table ${this.schema}.${TABLE} (id bigserial primary key, payload jsonb not null, state text not null default 'ready')`,
    );
    // The claim's plan: the first ready id in index order, as every SKIP LOCKED queue arranges.
    await this.#admin.query(`create index on ${this.schema}.${TABLE} (id) where state = 'ready'`);
  }

  async fill(rows: number): Promise<void> {
    await this.#admin.query(`truncate ${this.schema}.${TABLE}`);
    await this.#admin.query(
      `insert into ${this.schema}.${TABLE} (payload) select jsonb_build_object('i', g - 1) from generate_series(1, $1) g`,
      [rows],
    );
    await this.#admin.query(`vacuum analyze ${this.schema}.${TABLE}`);
  }

  async remaining(): Promise<number> {
    const r = await this.#admin.query<{ n: number }>(
      `select count(*)::int as n from ${this.schema}.${TABLE} where state <> 'done'`,
    );
    return r.rows[0]?.n ?? 0;
  }

  async teardown(): Promise<void> {
    await this.#admin.end();
    await dropSchema(this.#ctx.pgUrl, this.schema);
  }

  /** pgbench drains `jobs` jobs with `clients` connections (a spare backlog keeps every claim non-empty). */
  async pgbench(jobs: number, clients: number): Promise<Floor> {
    const perClient = Math.ceil(jobs / clients);
    await this.fill(perClient * clients + clients * 10);
    return pgbench(this.#ctx, {
      script: PGBENCH_SCRIPT,
      clients,
      transactionsPerClient: perClient,
      schema: this.schema,
    });
  }

  /** `concurrency` loops on a pool of `connections` claim one job and complete it until none is left. */
  async nodeLoop(jobs: number, concurrency: number, connections: number): Promise<PlainFloorRun> {
    await this.fill(jobs);
    const pool = new pg.Pool({
      connectionString: this.#ctx.pgUrl,
      max: connections,
      application_name: 'bench-floor-node',
      options: `-c search_path=${this.schema}`,
    });
    pool.on('error', () => {});
    const counts = new Uint16Array(jobs);
    try {
      // Connections open before the clock, like every subject's worker.
      await Promise.all(Array.from({ length: connections }, () => pool.query('select 1')));
      const window = await CpuWindow.start({ adminUrl: this.#ctx.adminUrl, datname: this.#ctx.benchDb });
      const start = performance.now();
      const loop = async (): Promise<void> => {
        for (;;) {
          const claimed = await pool.query<{ id: string; payload: { i: number } }>({
            name: 'floor-claim',
            text: CLAIM,
          });
          const job = claimed.rows[0];
          if (!job) return;
          counts[job.payload.i] = (counts[job.payload.i] ?? 0) + 1;
          await pool.query({ name: 'floor-complete', text: COMPLETE, values: [job.id] });
        }
      };
      await Promise.all(Array.from({ length: concurrency }, loop));
      const drainMs = performance.now() - start;
      const cpu = await window.stop();
      let processed = 0;
      let duplicates = 0;
      for (const c of counts) {
        if (c > 0) processed++;
        if (c > 1) duplicates += c - 1;
      }
      const unacked = await this.remaining();
      return {
        ratePerS: jobs / (drainMs / 1000),
        drainMs,
        check: { expected: jobs, processed, duplicates, losses: Math.max(jobs - processed, unacked) },
        cpu,
      };
    } finally {
      await pool.end();
    }
  }
}
