import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import { SqlTaskQueue } from '../queue/sql-task-queue.ts';
import type { Database } from '../storage/database.ts';
import { openDatabase } from '../storage/open.ts';
import { DIAG_SLEEP, diagSleep } from './diag-sleep.ts';
import { type TaskHandler, WorkerPool } from './worker-pool.ts';

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('WorkerPool (PGlite)', () => {
  let db: Database;
  let queue: SqlTaskQueue;
  let pools: WorkerPool[];

  beforeEach(async () => {
    db = await openDatabase({ driver: 'pglite' });
    queue = new SqlTaskQueue(db, { defaultLeaseMs: 2_000 });
    pools = [];
  });
  afterEach(async () => {
    for (const p of pools) await p.stop({ graceMs: 0 });
    await db.close();
  });

  function pool(handlers: Record<string, TaskHandler>, concurrency = 4): WorkerPool {
    const p = new WorkerPool({
      queue,
      handlers: new Map(Object.entries(handlers)),
      concurrency,
      heartbeatMs: 200,
      pollMaxMs: 200,
      reclaimEveryMs: 200,
    });
    pools.push(p);
    return p;
  }

  it('runs N handlers concurrently and completes every task once', async () => {
    let running = 0;
    let peak = 0;
    const seen: string[] = [];
    const p = pool(
      {
        work: async (ctx) => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 30));
          running--;
          seen.push(ctx.task.id);
          return { ok: true };
        },
      },
      3,
    );
    await queue.enqueueMany(Array.from({ length: 12 }, () => ({ type: 'work' })));
    await p.start();
    await until(async () => (await queue.stats()).byState.succeeded === 12);
    expect(peak).toBe(3);
    expect(new Set(seen).size).toBe(12);
  });

  it('wakes up on enqueue without waiting for the poll interval', async () => {
    const p = new WorkerPool({
      queue,
      handlers: new Map([['w', async () => 1]]),
      concurrency: 1,
      pollMinMs: 5_000,
      pollMaxMs: 5_000,
    });
    pools.push(p);
    await p.start();
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const { task } = await queue.enqueue({ type: 'w' });
    await until(async () => (await queue.get(task.id))?.state === 'succeeded', 3_000);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('retries transient failures with backoff and fails fatal ones at once', async () => {
    const p = new WorkerPool({
      queue,
      handlers: new Map<string, TaskHandler>([
        ['flaky', async (ctx) => (ctx.task.attempt < 2 ? Promise.reject(new Error('transient')) : 'ok')],
        [
          'fatal',
          async () =>
            Promise.reject(
              new IdeaMineError(ErrorCode.invalidInput, 'bad input', { errorClass: ErrorClass.fatal }),
            ),
        ],
      ]),
      concurrency: 2,
      backoff: { baseMs: 10, maxMs: 10, jitter: 0 },
      pollMaxMs: 50,
    });
    pools.push(p);
    const flaky = await queue.enqueue({ type: 'flaky' });
    const fatal = await queue.enqueue({ type: 'fatal' });
    await p.start();
    await until(async () => (await queue.get(flaky.task.id))?.state === 'succeeded');
    await until(async () => (await queue.get(fatal.task.id))?.state === 'failed');
    expect((await queue.get(flaky.task.id))?.attempt).toBe(2);
    expect((await queue.get(fatal.task.id))?.attempt).toBe(1);
  });

  it('fails a task whose input is invalid, naming the field', async () => {
    const { task } = await queue.enqueue({ type: 'diag.sleep', input: { ms: 'soon' } });
    const p = pool({ [DIAG_SLEEP]: diagSleep });
    await p.start();
    await until(async () => (await queue.get(task.id))?.state === 'failed');
    expect((await queue.get(task.id))?.error?.message).toMatch(/diag.sleep input: ms/);
  });

  it('resumes diag.sleep from its checkpoint after its lease is lost', async () => {
    const { task } = await queue.enqueue({
      type: DIAG_SLEEP,
      input: { ms: 600, checkpointEveryMs: 100, sliceMs: 50 },
      leaseMs: 500,
    });
    // First attempt: claim by hand and "die" after a checkpoint.
    const [claimed] = await queue.claim({ workerId: 'doomed', limit: 1 });
    await queue.saveCheckpoint({ taskId: task.id, attempt: claimed!.attempt }, 'elapsed:300', {
      elapsedMs: 300,
    });
    const p = pool({ [DIAG_SLEEP]: diagSleep });
    await p.start();
    await until(async () => (await queue.get(task.id))?.state === 'succeeded');
    const done = await queue.get(task.id);
    expect(done?.result).toMatchObject({ resumedFromMs: 300, sleptMs: 300, attempt: 2 });
    await expect(queue.complete({ taskId: task.id, attempt: 1 }, 'late')).rejects.toMatchObject({
      code: 'STALE_ATTEMPT',
    });
  });

  it('graceful stop lets in-flight tasks finish; a short grace releases them without costing an attempt', async () => {
    const p = pool({ [DIAG_SLEEP]: diagSleep }, 2);
    const quick = await queue.enqueue({ type: DIAG_SLEEP, input: { ms: 100 } });
    const slow = await queue.enqueue({ type: DIAG_SLEEP, input: { ms: 5_000 }, maxAttempts: 1 });
    await p.start();
    await until(async () => (await queue.stats()).byState.running === 2);
    await p.stop({ graceMs: 300 });
    expect((await queue.get(quick.task.id))?.state).toBe('succeeded');
    const released = await queue.get(slow.task.id);
    expect(released).toMatchObject({ state: 'ready', maxAttempts: 2 });
    expect(p.state).toBe('stopped');
  });
});
