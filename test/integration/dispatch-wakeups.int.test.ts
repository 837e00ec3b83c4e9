import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorClass } from '../../src/core/errors.ts';
import { runSignalWakeups } from '../../src/orchestrator/run-signals.ts';
import { type Interruption, waitForTasks } from '../../src/orchestrator/task-waiter.ts';
import { SqlTaskQueue } from '../../src/queue/sql-task-queue.ts';
import type { Database, Queryable, Row } from '../../src/storage/database.ts';
import { openDatabase } from '../../src/storage/open.ts';
import { spawnCli, waitForJsonLine } from '../support/cli.ts';
import {
  dropSchema,
  openTestPglite,
  POSTGRES_URL,
  postgresReachable,
  uniqueSchema,
} from '../support/services.ts';

/**
 * Dispatch waits on wake-ups, not on a poll of the tasks table (issue 13, part 2). Every statement the
 * waiter's Database runs is recorded, so the tests see exactly which reads of `tasks` it makes.
 */

interface Recorded {
  sql: string;
  params: readonly unknown[];
}

/** A Database that records each statement before running it on the real one. */
function recording(db: Database): Database & { statements: Recorded[] } {
  const statements: Recorded[] = [];
  const wrap = (q: Queryable): Queryable => ({
    query: <R extends Row = Row>(sql: string, params: readonly unknown[] = []) => {
      statements.push({ sql, params });
      return q.query<R>(sql, params);
    },
    exec: (sql: string) => {
      statements.push({ sql, params: [] });
      return q.exec(sql);
    },
  });
  const self = wrap(db);
  return {
    statements,
    driver: db.driver,
    capabilities: db.capabilities,
    location: db.location,
    query: self.query,
    exec: self.exec,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    listen: (channel, onMessage) => db.listen(channel, onMessage),
    channel: (name) => db.channel(name),
    close: () => db.close(),
  };
}

/** Reads of the tasks table: what the former dispatch issued every 20–500 ms while waiting. */
function taskReads(db: { statements: Recorded[] }): Recorded[] {
  return db.statements.filter((s) => /\bfrom\s+tasks\b/i.test(s.sql) && /^\s*select\b/i.test(s.sql));
}

async function until(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const quietly = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NO_SAFETY = 600_000;
const RUN = '00000000-0000-4000-8000-0000000000aa';

describe.runIf(postgresReachable)('dispatch wakes on completions (Postgres)', () => {
  const schema = uniqueSchema('wake');
  let raw: Database;
  let here: Database & { statements: Recorded[] };
  let other: Database;

  beforeAll(async () => {
    raw = await openDatabase({ driver: 'postgres', url: POSTGRES_URL, schema, poolSize: 3 });
    here = recording(raw);
    other = await openDatabase({ driver: 'postgres', url: POSTGRES_URL, schema, poolSize: 2 });
  });
  afterAll(async () => {
    await raw?.close();
    await other?.close();
    await dropSchema(schema);
  });

  it('an `ideamine worker` process finishing the tasks wakes the waiter; it never polls the tasks table', async () => {
    const queue = new SqlTaskQueue(here);
    const ids = await new SqlTaskQueue(other).enqueueMany([
      { type: 'diag.sleep', input: { ms: 10 } },
      { type: 'diag.sleep', input: { ms: 10, failureRate: 1 }, maxAttempts: 1 },
    ]);
    here.statements.length = 0;
    const waiting = waitForTasks({
      db: here,
      queue,
      runId: RUN,
      ids,
      interrupted: async () => undefined,
      safetyRecheckMs: NO_SAFETY,
    });
    // The worker starts only once the waiter has subscribed and read the tasks once.
    await until(() => taskReads(here).length === 1, 'the first read');
    const child = spawnCli(['worker', '--concurrency', '2'], {
      DATABASE_URL: POSTGRES_URL,
      IDEAMINE_PG_SCHEMA: schema,
    });
    try {
      await waitForJsonLine(child, (l) => l['event'] === 'worker.started');
      const { tasks, interrupted } = await waiting;
      expect(interrupted).toBeUndefined();
      expect(tasks.get(ids[0]!)).toMatchObject({ state: 'succeeded', error: null });
      expect(tasks.get(ids[1]!)).toMatchObject({ state: 'dead' }); // retryable failure, no attempt left
      // One read after subscribing, then only the ids that woke: 1 + (1 or 2, as the two completions
      // arrive together or apart). No read of the tasks table happened while nothing settled.
      const reads = taskReads(here);
      expect(reads.length).toBeGreaterThanOrEqual(2);
      expect(reads.length).toBeLessThanOrEqual(3);
      expect(reads[0]!.params[0]).toEqual(ids);
      const reread = reads.slice(1).flatMap((r) => r.params[0] as string[]);
      expect(reread.sort()).toEqual([...ids].sort());
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('a completion on another connection wakes only the re-read of that task', async () => {
    const queue = new SqlTaskQueue(here);
    const worker = new SqlTaskQueue(other);
    const ids = await worker.enqueueMany([{ type: 'wake.a' }, { type: 'wake.b' }]);
    here.statements.length = 0;
    const waiting = waitForTasks({
      db: here,
      queue,
      runId: RUN,
      ids,
      interrupted: async () => undefined,
      safetyRecheckMs: NO_SAFETY,
    });
    await until(() => taskReads(here).length === 1, 'the first read');
    const [a] = await worker.claim({ workerId: 'other', limit: 1, types: ['wake.a'] });
    await worker.complete({ taskId: a!.id, attempt: a!.attempt }, { from: 'a' });
    await until(() => taskReads(here).length === 2, 'the re-read of the completed task');
    expect(taskReads(here)[1]!.params[0]).toEqual([a!.id]);
    await quietly(500);
    expect(taskReads(here)).toHaveLength(2); // still waiting for b, and not reading while it waits
    const [b] = await worker.claim({ workerId: 'other', limit: 1, types: ['wake.b'] });
    await worker.complete({ taskId: b!.id, attempt: b!.attempt }, { from: 'b' });
    const { tasks } = await waiting;
    expect(tasks.get(a!.id)).toMatchObject({ state: 'succeeded', result: { from: 'a' } });
    expect(tasks.get(b!.id)).toMatchObject({ state: 'succeeded', result: { from: 'b' } });
    expect(taskReads(here)).toHaveLength(3);
  });

  it('a signal stored by another connection wakes the waiter, which then stops', async () => {
    const queue = new SqlTaskQueue(here);
    const [id] = await queue.enqueueMany([{ type: 'wake.never' }]);
    let stored: Interruption | undefined;
    let signalReads = 0;
    here.statements.length = 0;
    const waiting = waitForTasks({
      db: here,
      queue,
      runId: RUN,
      ids: [id!],
      interrupted: async () => {
        signalReads++;
        return stored;
      },
      safetyRecheckMs: NO_SAFETY,
    });
    await until(() => signalReads === 1, 'the first signal read');
    await quietly(300);
    expect(signalReads).toBe(1);
    stored = 'pause';
    await other.transaction((tx) => runSignalWakeups(other).announce(tx, RUN));
    expect(await waiting).toEqual({ tasks: new Map(), interrupted: 'pause' });
    expect(signalReads).toBe(2);
    expect(taskReads(here)).toHaveLength(1);
  });

  it('a settlement whose notification was lost is found by the safety re-check', async () => {
    const queue = new SqlTaskQueue(here);
    const [id] = await queue.enqueueMany([{ type: 'wake.silent' }]);
    const waiting = waitForTasks({
      db: here,
      queue,
      runId: RUN,
      ids: [id!],
      interrupted: async () => undefined,
      safetyRecheckMs: 300,
    });
    // A write that settles the task without any notification: as if the LISTEN connection was down.
    await other.query(`update tasks set state = 'succeeded', result = '{"silent":true}' where id = $1`, [id]);
    const { tasks } = await waiting;
    expect(tasks.get(id!)).toMatchObject({ state: 'succeeded', result: { silent: true } });
  });
});

describe('dispatch wakes on completions (PGlite, in-process)', () => {
  let raw: Database;
  let db: Database & { statements: Recorded[] };

  beforeAll(async () => {
    raw = await openTestPglite();
    db = recording(raw);
  });
  afterAll(async () => raw?.close());

  it('a completion in this process wakes the waiter; nothing is NOTIFYed and the table is not polled', async () => {
    const queue = new SqlTaskQueue(db);
    const ids = await queue.enqueueMany([{ type: 'wake.a' }, { type: 'wake.b' }]);
    db.statements.length = 0;
    const waiting = waitForTasks({
      db,
      queue,
      runId: RUN,
      ids,
      interrupted: async () => undefined,
      safetyRecheckMs: NO_SAFETY,
    });
    await until(() => taskReads(db).length === 1, 'the first read');
    const [a] = await queue.claim({ workerId: 'w', limit: 1, types: ['wake.a'] });
    await queue.complete({ taskId: a!.id, attempt: a!.attempt }, 'A');
    await until(() => taskReads(db).length === 2, 'the re-read of the completed task');
    expect(taskReads(db)[1]!.params[0]).toEqual([a!.id]);
    await quietly(300);
    expect(taskReads(db)).toHaveLength(2);
    const [b] = await queue.claim({ workerId: 'w', limit: 1, types: ['wake.b'] });
    await queue.fail(
      { taskId: b!.id, attempt: b!.attempt },
      {
        error: { code: 'X', message: 'no', errorClass: ErrorClass.fatal, retryable: false },
        retryDelayMs: 0,
      },
    );
    const { tasks } = await waiting;
    expect(tasks.get(a!.id)).toMatchObject({ state: 'succeeded', result: 'A' });
    expect(tasks.get(b!.id)).toMatchObject({ state: 'failed', error: { code: 'X' } });
    expect(taskReads(db)).toHaveLength(3);
    // The driver cannot listen across processes, so no settle or signal NOTIFY reaches the server.
    const notifies = db.statements.filter((s) => /pg_notify/i.test(s.sql));
    expect(notifies.filter((s) => /settled|run_signals/.test(JSON.stringify(s)))).toEqual([]);
  });

  it('a signal announced in this process wakes the waiter without a NOTIFY', async () => {
    const queue = new SqlTaskQueue(db);
    const [id] = await queue.enqueueMany([{ type: 'wake.never' }]);
    let stored: Interruption | undefined;
    let signalReads = 0;
    db.statements.length = 0;
    const waiting = waitForTasks({
      db,
      queue,
      runId: RUN,
      ids: [id!],
      interrupted: async () => {
        signalReads++;
        return stored;
      },
      safetyRecheckMs: NO_SAFETY,
    });
    await until(() => signalReads === 1, 'the first signal read');
    stored = 'timebox';
    await db.transaction((tx) => runSignalWakeups(db).announce(tx, RUN));
    expect(await waiting).toEqual({ tasks: new Map(), interrupted: 'timebox' });
    expect(db.statements.filter((s) => /pg_notify/i.test(s.sql))).toEqual([]);
  });
});
