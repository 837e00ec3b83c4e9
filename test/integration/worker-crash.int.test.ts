import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqlTaskQueue } from '../../src/queue/sql-task-queue.ts';
import { openDatabase } from '../../src/storage/open.ts';
import { spawnCli, waitForJsonLine } from '../support/cli.ts';
import { dropSchema, POSTGRES_URL, postgresReachable, uniqueSchema } from '../support/services.ts';

/**
 * Real crash tests: `ideamine worker` processes are killed with SIGKILL mid-task and restarted.
 * Afterwards every task has succeeded exactly once, tasks that were interrupted resumed from their
 * checkpoint, and orphaned work was re-claimed within about one lease.
 */

const TASKS = 500;
const WORK_MS = 1_000;
const LEASE_MS = 2_000;
const seed = Number(process.env['CRASH_SEED'] ?? Date.now() % 100_000);

function rng(s: number): () => number {
  let x = s || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) % 1_000_000) / 1_000_000;
  };
}

interface Worker {
  child: ChildProcess;
  id: string;
}

async function startWorker(env: Record<string, string>): Promise<Worker> {
  const child = spawnCli(['worker', '--concurrency', '12'], env);
  const line = await waitForJsonLine(child, (l) => l['event'] === 'worker.started');
  return { child, id: String(line['workerId']) };
}

function kill9(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    worker.child.once('exit', () => resolve());
    worker.child.kill('SIGKILL');
  });
}

describe.runIf(postgresReachable)('crash: 3 workers on Postgres, kill -9 every few seconds', () => {
  const schema = uniqueSchema('crash');
  afterAll(async () => dropSchema(schema));

  it(`loses nothing and completes each of ${TASKS} tasks once (seed ${seed})`, async () => {
    const random = rng(seed);
    const db = await openDatabase({ driver: 'postgres', url: POSTGRES_URL, schema });
    const queue = new SqlTaskQueue(db);
    const env = {
      DATABASE_URL: POSTGRES_URL,
      IDEAMINE_PG_SCHEMA: schema,
      IDEAMINE_LEASE: `${LEASE_MS}`,
      IDEAMINE_HEARTBEAT: '400',
    };
    await queue.enqueueMany(
      Array.from({ length: TASKS }, () => ({
        type: 'diag.sleep',
        input: { ms: WORK_MS, checkpointEveryMs: 150, sliceMs: 50 },
        leaseMs: LEASE_MS,
        maxAttempts: 20,
      })),
    );
    const workers = await Promise.all([0, 1, 2].map(() => startWorker(env)));
    const recoveries: number[] = [];
    let kills = 0;
    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline) {
      const stats = await queue.stats();
      if (stats.byState.succeeded === TASKS) break;
      await new Promise((r) => setTimeout(r, 1_000 + random() * 1_500));
      if ((await queue.stats()).byState.succeeded >= TASKS * 0.95) continue; // let the tail finish
      const victimIndex = Math.floor(random() * workers.length);
      const victim = workers[victimIndex]!;
      const orphaned = await db.query<{ id: string }>(
        `select id from tasks where state = 'running' and lease_owner = $1`,
        [victim.id],
      );
      const killedAt = Date.now();
      await kill9(victim);
      kills++;
      workers[victimIndex] = await startWorker(env);
      if (orphaned.length > 0) {
        void measureRecovery(
          db,
          orphaned.map((o) => o.id),
          killedAt,
        ).then((ms) => recoveries.push(ms));
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const w of workers) w.child.kill('SIGTERM');
    const rows = await db.query<{
      state: string;
      attempt: number;
      result: { resumedFromMs: number; sleptMs: number } | null;
      stale_writes: number;
    }>('select state, attempt, result, stale_writes from tasks');
    const succeeded = rows.filter((r) => r.state === 'succeeded');
    const resumed = succeeded.filter((r) => (r.result?.resumedFromMs ?? 0) > 0);
    const staleRejected = rows.reduce((n, r) => n + r.stale_writes, 0);
    const p = (q: number) =>
      [...recoveries].sort((a, b) => a - b)[
        Math.min(recoveries.length - 1, Math.floor(q * recoveries.length))
      ] ?? 0;
    const figures = {
      seed,
      tasks: TASKS,
      kills,
      lost: TASKS - succeeded.length,
      staleWritesRejected: staleRejected,
      reattempted: succeeded.filter((r) => r.attempt > 1).length,
      resumedFromCheckpoint: resumed.length,
      recoveryP50Ms: p(0.5),
      recoveryMaxMs: Math.max(0, ...recoveries),
      leaseMs: LEASE_MS,
    };
    console.log(`[crash figures] ${JSON.stringify(figures)}`);
    await db.close();
    expect(succeeded).toHaveLength(TASKS);
    expect(kills).toBeGreaterThanOrEqual(3);
    // Work done across attempts adds up to exactly the task's work: resumed from the checkpoint, not from zero.
    for (const r of succeeded)
      expect((r.result?.resumedFromMs ?? 0) + (r.result?.sleptMs ?? 0)).toBe(WORK_MS);
    expect(resumed.length).toBeGreaterThan(0);
    // Re-claim waits for the lease to lapse plus one reclaim sweep (lease/10) and a claim.
    // Recovery is driven by the lease (it lapses, a sweep re-claims): seconds, not the hours of a
    // peer without heartbeats. The bound is loose because a busy 2-core machine delays the sweep;
    // the measured figures are printed above and reported in docs.
    expect(figures.recoveryMaxMs).toBeLessThan(LEASE_MS + 10_000);
  }, 200_000);
});

async function measureRecovery(
  db: Awaited<ReturnType<typeof openDatabase>>,
  ids: string[],
  killedAt: number,
): Promise<number> {
  for (;;) {
    const rows = await db.query<{ n: number }>(
      `select count(*)::int as n from tasks where id = any($1::uuid[]) and state = 'running' and locked_until is not null
         and heartbeat_at < to_timestamp($2 / 1000.0)`,
      [ids, killedAt],
    );
    if ((rows[0]?.n ?? 0) === 0) return Date.now() - killedAt;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('crash: the embedded (PGlite) owner is killed with -9 and reopened', () => {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-embedded-crash-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('continues the work after the restart, from checkpoints, with nothing lost', async () => {
    const env = { IDEAMINE_HOME: home, IDEAMINE_LEASE: '1500', IDEAMINE_HEARTBEAT: '300' };
    {
      const db = await openDatabase({ driver: 'pglite', dataDir: home });
      await new SqlTaskQueue(db).enqueueMany(
        Array.from({ length: 40 }, () => ({
          type: 'diag.sleep',
          // 3 s tasks: at the kill (1.8 s after the worker started) the first dozen are mid-flight with
          // checkpoints, however slowly a loaded machine got them going.
          input: { ms: 3_000, checkpointEveryMs: 200, sliceMs: 50 },
          leaseMs: 1_500,
        })),
      );
      await db.close();
    }
    let worker = await startWorker(env);
    await new Promise((r) => setTimeout(r, 1_800));
    await kill9(worker);
    worker = await startWorker(env); // takes over the stale lock of the dead owner
    const deadline = Date.now() + 60_000;
    const done = await new Promise<boolean>((resolve) => {
      worker.child.stdout?.on('data', () => {});
      const timer = setInterval(async () => {
        if (Date.now() > deadline) {
          clearInterval(timer);
          resolve(false);
        }
      }, 500);
      // The embedded data dir belongs to the worker now; ask it to stop when the queue should be empty.
      setTimeout(() => {
        clearInterval(timer);
        worker.child.kill('SIGTERM');
        worker.child.once('exit', () => resolve(true));
      }, 25_000);
    });
    expect(done).toBe(true);
    const db = await openDatabase({ driver: 'pglite', dataDir: home });
    const rows = await db.query<{ state: string; result: { resumedFromMs: number; sleptMs: number } | null }>(
      'select state, result from tasks',
    );
    await db.close();
    expect(rows.filter((r) => r.state === 'succeeded')).toHaveLength(40);
    expect(rows.some((r) => (r.result?.resumedFromMs ?? 0) > 0)).toBe(true);
    for (const r of rows) expect((r.result?.resumedFromMs ?? 0) + (r.result?.sleptMs ?? 0)).toBe(3_000);
  }, 90_000);
});
