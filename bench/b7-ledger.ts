/**
 * B7 — ledger and event append rate (closed loop, fixed duration per configuration), ~512-byte entries.
 * - ledger: appendLedger (advisory lock per run, read of the chain head, hashed insert), one entry
 *   per transaction with 1 or 16 writers (one run: the chain serialises them; 16 runs: in parallel),
 *   and 100 entries per transaction.
 * - events: appendEvents (insert + NOTIFY, no chain) with 1 and 16 writers, and 100 per call.
 * - redis-xadd: the same event as an XADD through ioredis (IdeaMine does not mirror events to Redis
 *   yet; this is what a mirror would cost), one await per entry and 100 per pipeline.
 * Floors: pgbench inserting the same ledger row into a plain table (1 and 16 clients);
 * redis-benchmark XADD unpipelined and at -P 10.
 */
import { Redis } from 'ioredis';
import { appendLedger } from '../src/observability/ledger.ts';
import type { Database } from '../src/storage/database.ts';
import { appendEvents, EVENTS_CHANNEL } from '../src/storage/event-store.ts';
import { type BenchContext, guarded, runBenchmark } from './lib/context.ts';
import { CpuWindow } from './lib/cpu.ts';
import { type Floor, pgbench, redisXadd } from './lib/floors.ts';
import { round } from './lib/stats.ts';
import { subjectEnv } from './lib/subject-env.ts';
import { openBenchDatabase } from './subjects/ideamine.ts';

const ENTRY = { summary: 'x'.repeat(420), decision: 'proceed', score: 0.87, tags: ['bench', 'ledger'] };
const ENTRY_JSON = JSON.stringify(ENTRY);

type Append = (writer: number) => Promise<number>;

async function closedLoop(writers: number, durationMs: number, append: Append): Promise<number> {
  const deadline = performance.now() + durationMs;
  const counts = await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      let n = 0;
      while (performance.now() < deadline) n += await append(w);
      return n;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

interface Config {
  system: string;
  config: string;
  writers: number;
  append: Append;
}

function ledgerConfigs(db: Database, runIds: string[]): Config[] {
  const one = (runId: string | undefined) => async () => {
    await db.transaction((tx) =>
      appendLedger(tx, { runId: runId ?? null, type: 'decision', data: ENTRY, provenance: { bench: 'b7' } }),
    );
    return 1;
  };
  const entry = (runId: string | undefined) => ({
    runId: runId ?? null,
    type: 'decision' as const,
    data: ENTRY,
    provenance: { bench: 'b7' },
  });
  return [
    { system: 'ideamine-ledger', config: '1 writer, 1/txn', writers: 1, append: one(runIds[0]) },
    {
      system: 'ideamine-ledger',
      config: '16 writers, 1/txn, one chain',
      writers: 16,
      append: one(runIds[0]),
    },
    {
      system: 'ideamine-ledger',
      config: '16 writers, 1/txn, 16 chains',
      writers: 16,
      append: (w) => one(runIds[w])(),
    },
    {
      system: 'ideamine-ledger',
      config: '1 writer, 100/txn',
      writers: 1,
      append: async () => {
        await db.transaction(async (tx) => {
          for (let i = 0; i < 100; i++) await appendLedger(tx, entry(runIds[0]));
        });
        return 100;
      },
    },
  ];
}

function eventConfigs(db: Database, runIds: string[]): Config[] {
  const channel = db.channel(EVENTS_CHANNEL);
  const event = { type: 'bench.event', runId: runIds[0] ?? null, payload: ENTRY };
  const one = async () => {
    await db.transaction((tx) => appendEvents(tx, channel, [event]));
    return 1;
  };
  const batch = Array.from({ length: 100 }, () => event);
  return [
    { system: 'ideamine-events', config: '1 writer, 1/txn', writers: 1, append: one },
    { system: 'ideamine-events', config: '16 writers, 1/txn', writers: 16, append: one },
    {
      system: 'ideamine-events',
      config: '1 writer, 100/txn',
      writers: 1,
      append: async () => {
        await db.transaction((tx) => appendEvents(tx, channel, batch));
        return 100;
      },
    },
  ];
}

function redisConfigs(redis: Redis, key: string): Config[] {
  return [
    {
      system: 'redis-xadd',
      config: '1 writer, 1/await',
      writers: 1,
      append: async () => {
        await redis.xadd(key, 'MAXLEN', '~', '100000', '*', 'e', ENTRY_JSON);
        return 1;
      },
    },
    {
      system: 'redis-xadd',
      config: '1 writer, 100/pipeline',
      writers: 1,
      append: async () => {
        const p = redis.pipeline();
        for (let i = 0; i < 100; i++) p.xadd(key, 'MAXLEN', '~', '100000', '*', 'e', ENTRY_JSON);
        await p.exec();
        return 100;
      },
    },
  ];
}

async function runConfig(ctx: BenchContext, c: Config, pg: boolean): Promise<void> {
  for (const run of ctx.runIndexes()) {
    const durationMs = run === 0 ? ctx.sizes.b7Ms / 4 : ctx.sizes.b7Ms;
    const window = pg
      ? await CpuWindow.start({ adminUrl: ctx.adminUrl, datname: ctx.benchDb })
      : await CpuWindow.start();
    const n = await closedLoop(c.writers, durationMs, c.append);
    const cpu = await window.stop();
    ctx.emit({
      system: c.system,
      config: c.config,
      run,
      warmup: run === 0,
      status: 'ok',
      metrics: { appends_per_s: round(n / (cpu.wallMs / 1000), 1), appends_n: n },
      show: ['appends_per_s'],
      cpu,
      params: { writers: c.writers, entryBytes: ENTRY_JSON.length, durationMs },
    });
  }
}

function emitFloor(ctx: BenchContext, system: string, config: string, floor: Floor): void {
  if ('na' in floor) {
    ctx.emit({ system, config, run: 1, warmup: false, status: 'na', note: floor.na, metrics: {}, show: [] });
    return;
  }
  ctx.emit({
    system,
    config,
    run: 1,
    warmup: false,
    status: 'ok',
    metrics: { appends_per_s: round(floor.ratePerS, 1) },
    show: ['appends_per_s'],
    cpu: floor.cpu,
  });
}

const FLOOR_SQL = `insert into bench_ledger_floor (run_id, type, data, provenance, prev_hash, hash) values (null, 'decision', '${ENTRY_JSON}', '{"bench":"b7"}', null, md5(random()::text));\n`;

await runBenchmark('b7', async (ctx) => {
  const opened = await openBenchDatabase('postgres', subjectEnv(ctx), 'ledger', 17);
  const db = opened.db;
  try {
    const runIds: string[] = [];
    for (let i = 0; i < 16; i++) {
      const rows = await db.query<{ id: string }>(`insert into runs (idea) values ('{}') returning id`);
      if (rows[0]) runIds.push(rows[0].id);
    }
    const want = (c: Config) => ctx.wants(c.system) || ctx.wants('ideamine-pg');
    for (const c of [...ledgerConfigs(db, runIds), ...eventConfigs(db, runIds)].filter(want)) {
      ctx.log(`${c.system} ${c.config}`);
      await guarded(ctx, c, () => runConfig(ctx, c, true));
    }
    await guarded(ctx, { system: 'floor-pgbench', config: 'ledger row' }, async () => {
      await db.exec(`create table bench_ledger_floor (seq bigint generated always as identity primary key,
        id uuid not null default gen_random_uuid() unique, run_id uuid, created_at timestamptz not null default now(),
        type text not null, data jsonb not null, provenance jsonb not null, prev_hash text, hash text not null)`);
      const schema = opened.schema;
      for (const clients of [1, 16]) {
        const floor = await pgbench(ctx, {
          script: FLOOR_SQL,
          clients,
          seconds: ctx.sizes.pgbenchSeconds,
          ...(schema ? { schema } : {}),
        });
        emitFloor(ctx, 'floor-pgbench', `${clients === 1 ? '1 writer' : '16 writers'}, 1/txn`, floor);
      }
    });
  } finally {
    await opened.cleanup();
  }
  if (ctx.wants('redis-xadd') || ctx.wants('ideamine-pg')) {
    const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: 2 });
    redis.on('error', () => {});
    const key = `${ctx.redisPrefix}:b7-events`;
    try {
      for (const c of redisConfigs(redis, key)) await guarded(ctx, c, () => runConfig(ctx, c, false));
    } finally {
      await redis.del(key).catch(() => {});
      redis.disconnect();
    }
  }
  const requests = ctx.mode === 'smoke' ? 2_000 : ctx.mode === 'quick' ? 50_000 : 200_000;
  for (const pipeline of [1, 10]) {
    await guarded(ctx, { system: 'floor-redis-benchmark', config: 'xadd' }, async () => {
      const floor = await redisXadd(ctx, { requests, clients: 1, pipeline, valueBytes: ENTRY_JSON.length });
      emitFloor(
        ctx,
        'floor-redis-benchmark',
        pipeline === 1 ? '1 writer, 1/await' : '1 writer, -P 10',
        floor,
      );
    });
  }
  await (await import('./subjects/bullmq.ts')).deleteRedisPrefix(ctx.redisUrl, `${ctx.redisPrefix}:floor`);
});
