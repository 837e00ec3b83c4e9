/**
 * B6 — recovery after kill -9. A victim worker process claims M long tasks; a second (rescuer)
 * worker process starts; once the victim has heartbeated at least once it is SIGKILLed. Measured:
 * time from the kill until the rescuer has started every orphaned task (÷ the configured lease),
 * time to the first re-claim, tasks lost (never completed) and duplicates (completed twice, or run
 * more than once after the kill). No warm-up: every run is a fresh pair of processes.
 *
 * IdeaMine runs with its shipped defaults except the lease/heartbeat (scaled down outside full
 * mode); lease reclaim scans run every 5 s (WorkerPool's reclaimEveryMs default). BullMQ runs with
 * lockDuration = stalledInterval = the same lease. graphile-worker and pg-boss are not measured: at
 * their defaults a run would take 4 h and 15 min.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { SqlTaskQueue } from '../src/queue/sql-task-queue.ts';
import { type BenchContext, guarded, runBenchmark } from './lib/context.ts';
import { dropSchema, uniqueSuffix } from './lib/pg-admin.ts';
import { round, seededRandom, sleep, waitFor } from './lib/stats.ts';
import { deleteRedisPrefix } from './subjects/bullmq.ts';
import { openBenchDatabase } from './subjects/ideamine.ts';
import { RECOVERY_TASK, type RecoveryWorkerSettings } from './workers/recovery-settings.ts';

const WORKER = join(import.meta.dirname, 'workers', 'recovery-worker.ts');
/** WorkerPool's reclaimEveryMs default (src/engine/worker-pool.ts). */
const RECLAIM_EVERY_MS = 5_000;

interface WorkerHandle {
  child: ChildProcess;
  starts: Map<string, number[]>;
  dones: Map<string, number>;
  /** performance.now() of the first start of each job in this process. */
  firstStartAt: Map<string, number>;
  ready: Promise<void>;
}

function startWorker(settings: RecoveryWorkerSettings): WorkerHandle {
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, BENCH_RECOVERY: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const handle: WorkerHandle = {
    child,
    starts: new Map(),
    dones: new Map(),
    firstStartAt: new Map(),
    ready: Promise.resolve(),
  };
  handle.ready = new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [what, id = '', attempt = '0'] = line.trim().split(' ');
        if (what === 'ready') resolve();
        else if (what === 'start') {
          handle.starts.set(id, [...(handle.starts.get(id) ?? []), Number(attempt)]);
          if (!handle.firstStartAt.has(id)) handle.firstStartAt.set(id, performance.now());
        } else if (what === 'done') handle.dones.set(id, (handle.dones.get(id) ?? 0) + 1);
      }
    });
    child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
  return handle;
}

async function stopWorker(w: WorkerHandle): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => w.child.once('exit', () => resolve()));
  w.child.kill('SIGTERM');
  if (!(await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)])))
    w.child.kill('SIGKILL');
}

interface Store {
  enqueue(m: number): Promise<string[]>;
  completed(ids: readonly string[]): Promise<number>;
  cleanup(): Promise<void>;
}

async function ideamineStore(ctx: BenchContext, leaseMs: number): Promise<Store & { schema: string }> {
  const suffix = uniqueSuffix();
  const opened = await openBenchDatabase('postgres', { pgUrl: ctx.pgUrl, suffix }, 'b6');
  const schema = opened.schema ?? 'public';
  const queue = new SqlTaskQueue(opened.db, { defaultLeaseMs: leaseMs });
  return {
    schema,
    enqueue: (m) =>
      queue.enqueueMany(
        Array.from({ length: m }, (_, i) => ({ type: RECOVERY_TASK, input: { i }, maxAttempts: 5 })),
      ),
    completed: async (ids) => {
      const rows = await opened.db.query<{ n: number }>(
        "select count(*)::int as n from tasks where id = any($1) and state = 'succeeded'",
        [ids],
      );
      return rows[0]?.n ?? 0;
    },
    cleanup: () => opened.cleanup(),
  };
}

async function bullStore(ctx: BenchContext): Promise<Store> {
  const u = new URL(ctx.redisUrl);
  const prefix = `${ctx.redisPrefix}:b6`;
  const queue = new Queue('recovery', {
    connection: { host: u.hostname, port: Number(u.port || 6379) },
    prefix,
  });
  return {
    enqueue: async (m) => {
      const jobs = await queue.addBulk(
        Array.from({ length: m }, (_, i) => ({ name: 'recovery', data: { i } })),
      );
      return jobs.map((j) => String(j.id));
    },
    completed: async () => (await queue.getJobCounts('completed'))['completed'] ?? 0,
    cleanup: async () => {
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      await deleteRedisPrefix(ctx.redisUrl, prefix);
    },
  };
}

async function recoveryRun(
  ctx: BenchContext,
  system: RecoveryWorkerSettings['system'],
  run: number,
): Promise<void> {
  const { b6Tasks: m, b6LeaseMs: leaseMs, b6HeartbeatMs: heartbeatMs } = ctx.sizes;
  const store = system === 'ideamine-pg' ? await ideamineStore(ctx, leaseMs) : await bullStore(ctx);
  const base: RecoveryWorkerSettings = {
    system,
    pgUrl: ctx.pgUrl,
    schema: 'schema' in store ? (store.schema as string) : 'public',
    redisUrl: ctx.redisUrl,
    redisPrefix: ctx.redisPrefix,
    concurrency: m,
    taskMs: 600_000,
    leaseMs,
    heartbeatMs,
  };
  const victim = startWorker(base);
  let rescuer: WorkerHandle | undefined;
  try {
    await victim.ready;
    const ids = await store.enqueue(m);
    if (!(await waitFor(() => victim.starts.size >= m, 60_000, 20)))
      throw new Error(`victim started only ${victim.starts.size}/${m}`);
    rescuer = startWorker({ ...base, taskMs: 10 });
    await rescuer.ready;
    // Kill after at least one heartbeat, at a random phase of the heartbeat and reclaim timers
    // (seeded per run): a fixed delay would lock the kill to one point of the 5 s reclaim cycle
    // and report the same figure every run.
    const spanMs = ctx.mode === 'smoke' ? heartbeatMs : Math.max(heartbeatMs, RECLAIM_EVERY_MS);
    const killAfterMs = Math.round(heartbeatMs * 1.2 + seededRandom(7_000 + run)() * spanMs);
    await sleep(killAfterMs);
    const killedAt = performance.now();
    victim.child.kill('SIGKILL');
    const limitMs = leaseMs * 4 + 15_000;
    const r = rescuer;
    const allReclaimed = await waitFor(() => ids.every((id) => r.firstStartAt.has(id)), limitMs, 20);
    await waitFor(async () => (await store.completed(ids)) >= m, 30_000, 100);
    const completed = await store.completed(ids);
    const times = ids.map((id) => r.firstStartAt.get(id)).filter((t): t is number => t !== undefined);
    const recoveryMs = allReclaimed ? Math.max(...times) - killedAt : null;
    const duplicates = ids.reduce(
      (n, id) =>
        n + Math.max(0, (r.dones.get(id) ?? 0) - 1) + Math.max(0, (r.starts.get(id)?.length ?? 0) - 1),
      0,
    );
    ctx.emit({
      system,
      config: `lease ${leaseMs / 1000}s hb ${heartbeatMs / 1000}s`,
      run,
      warmup: false,
      status: 'ok',
      ...(allReclaimed ? {} : { note: `only ${times.length}/${m} re-claimed within ${limitMs} ms` }),
      metrics: {
        recovery_ms: round(recoveryMs, 0),
        recovery_x: recoveryMs === null ? null : round(recoveryMs / leaseMs, 3),
        first_reclaim_ms: times.length ? round(Math.min(...times) - killedAt, 0) : null,
      },
      show: ['recovery_x', 'recovery_ms'],
      check: { expected: m, processed: completed, duplicates, losses: m - completed },
      params: {
        tasks: m,
        leaseMs,
        heartbeatMs,
        reclaimEveryMs: system === 'ideamine-pg' ? RECLAIM_EVERY_MS : leaseMs,
        killAfterMs,
      },
    });
  } finally {
    victim.child.kill('SIGKILL');
    if (rescuer) await stopWorker(rescuer);
    await store.cleanup();
    if ('schema' in store) await dropSchema(ctx.pgUrl, store.schema as string).catch(() => {});
  }
}

await runBenchmark('b6', async (ctx) => {
  const runs = Array.from({ length: ctx.runs }, (_, i) => i + 1);
  for (const system of ['ideamine-pg', 'bullmq-redis'] as const) {
    if (!ctx.wants(system)) continue;
    await guarded(ctx, { system, config: 'recovery' }, async () => {
      for (const run of runs) {
        ctx.log(`${system} run ${run}`);
        await recoveryRun(ctx, system, run);
      }
    });
  }
  const documented: Record<string, string> = {
    'graphile-worker':
      'not measured: a crashed worker’s locked jobs wait for the 4 h lock timeout (documented)',
    'pg-boss':
      'not measured: active jobs expire after expireInSeconds (default 900 s), found by the supervisor (every 60 s by default)',
    dbos: 'not measured: a dead executor’s workflows are recovered when an executor with the same ID restarts (or by Conductor)',
  };
  for (const [system, note] of Object.entries(documented)) {
    if (ctx.wants(system))
      ctx.emit({
        system,
        config: 'recovery',
        run: 1,
        warmup: false,
        status: 'na',
        note,
        metrics: {},
        show: [],
      });
  }
});
