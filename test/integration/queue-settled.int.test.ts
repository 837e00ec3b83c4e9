import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlTaskQueue } from '../../src/queue/sql-task-queue.ts';
import type { TaskSettled } from '../../src/queue/task-queue.ts';
import type { Database } from '../../src/storage/database.ts';
import { openDatabase } from '../../src/storage/open.ts';
import { spawnCli, waitForJsonLine } from '../support/cli.ts';
import { dropSchema, POSTGRES_URL, postgresReachable, uniqueSchema } from '../support/services.ts';

/** Waits until `done()` holds, polling the listener's in-memory record (not the database). */
async function until(done: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a settle notification');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Settle notifications across Postgres connections and processes: a waiter hears completions made by
 * another connection pool and by an `ideamine worker` process, through one LISTEN per process.
 */
describe.runIf(postgresReachable)('settle notifications across processes (Postgres)', () => {
  const schema = uniqueSchema('settled');
  let here: Database;
  let there: Database;

  beforeAll(async () => {
    here = await openDatabase({ driver: 'postgres', url: POSTGRES_URL, schema, poolSize: 3 });
    there = await openDatabase({ driver: 'postgres', url: POSTGRES_URL, schema, poolSize: 3 });
  });
  afterAll(async () => {
    await here?.close();
    await there?.close();
    await dropSchema(schema);
  });

  it('a completion on another connection wakes every listener here, once each', async () => {
    const waiter = new SqlTaskQueue(here);
    const worker = new SqlTaskQueue(there);
    const heardA: TaskSettled[] = [];
    const heardB: TaskSettled[] = [];
    const heardThere: TaskSettled[] = [];
    const stops = [
      await waiter.onSettled((e) => heardA.push(e)),
      await waiter.onSettled((e) => heardB.push(e)),
      await worker.onSettled((e) => heardThere.push(e)),
    ];
    const { task } = await waiter.enqueue({ type: 't' });
    const [claimed] = await worker.claim({ workerId: 'other', limit: 1 });
    await worker.complete({ taskId: task.id, attempt: claimed!.attempt }, { from: 'there' });
    await until(() => heardA.length > 0 && heardB.length > 0);
    const expected = [{ taskId: task.id, runId: null, state: 'succeeded' }];
    // Give a duplicate (the writer's own NOTIFY echoing back to it) time to show up before checking.
    await new Promise((r) => setTimeout(r, 300));
    expect(heardA).toEqual(expected);
    expect(heardB).toEqual(expected);
    expect(heardThere).toEqual(expected);
    expect((await waiter.outcomes([task.id])).get(task.id)).toMatchObject({ result: { from: 'there' } });
    for (const stop of stops) await stop();
  });

  it('a task finished by an `ideamine worker` process is heard from that process', async () => {
    const waiter = new SqlTaskQueue(here);
    const heard: TaskSettled[] = [];
    const stop = await waiter.onSettled((e) => heard.push(e));
    const ids = await waiter.enqueueMany([
      { type: 'diag.sleep', input: { ms: 50 } },
      { type: 'diag.sleep', input: { ms: 10, failureRate: 1 }, maxAttempts: 1 },
    ]);
    const child = spawnCli(['worker', '--concurrency', '2'], {
      DATABASE_URL: POSTGRES_URL,
      IDEAMINE_PG_SCHEMA: schema,
    });
    try {
      await waitForJsonLine(child, (l) => l['event'] === 'worker.started');
      await until(() => heard.length === 2, 30_000);
      expect(new Map(heard.map((e) => [e.taskId, e.state]))).toEqual(
        new Map([
          [ids[0], 'succeeded'],
          [ids[1], 'dead'],
        ]),
      );
      const outcomes = await waiter.outcomes(ids);
      expect(outcomes.get(ids[0]!)?.state).toBe('succeeded');
      expect(outcomes.get(ids[1]!)?.state).toBe('dead');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
      await stop();
    }
  });
});
