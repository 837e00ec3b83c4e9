import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, type SerializedError } from '../../src/core/errors.ts';
import { SqlTaskQueue } from '../../src/queue/sql-task-queue.ts';
import type { Database } from '../../src/storage/database.ts';
import { readEvents } from '../../src/storage/event-store.ts';
import { expectValidEvents } from '../support/events.ts';
import { FakeClock } from '../support/fake-clock.ts';

export const transient: SerializedError = {
  code: 'INTERNAL',
  message: 'boom',
  errorClass: 'transient',
  retryable: true,
};
export const fatal: SerializedError = {
  code: 'INVALID_INPUT',
  message: 'bad',
  errorClass: 'fatal',
  retryable: false,
};

/** The queue contract, run unchanged on every driver. */
export function queueSuite(name: string, open: () => Promise<Database>): void {
  describe(`queue conformance: ${name}`, () => {
    let db: Database;
    let clock: FakeClock;
    let queue: SqlTaskQueue;

    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => {
      await db?.close();
    });
    beforeEach(async () => {
      await db.exec('delete from events; delete from tasks;');
      clock = new FakeClock();
      queue = new SqlTaskQueue(db, { clock, defaultLeaseMs: 10_000, defaultMaxAttempts: 3 });
    });

    it('enqueues once per idempotency key', async () => {
      const a = await queue.enqueue({ type: 't', input: { n: 1 }, idempotencyKey: 'k1' });
      const b = await queue.enqueue({ type: 't', input: { n: 2 }, idempotencyKey: 'k1' });
      expect(a.created).toBe(true);
      expect(b.created).toBe(false);
      expect(b.task.id).toBe(a.task.id);
      expect(b.task.input).toEqual({ n: 1 });
      const ids = await queue.enqueueMany([
        { type: 't', idempotencyKey: 'k1' },
        { type: 't', idempotencyKey: 'k2' },
        { type: 't' },
      ]);
      expect(ids).toHaveLength(2);
    });

    it('enqueue joins the caller transaction: a rollback leaves no task', async () => {
      await expect(
        db.transaction(async (tx) => {
          await queue.enqueue({ type: 't' }, tx);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect((await queue.stats()).byState.ready).toBe(0);
    });

    it('claims by priority then due time, counts the attempt at claim, skips future tasks', async () => {
      await queue.enqueue({ type: 't', input: { n: 'low' } });
      clock.advance(1);
      await queue.enqueue({ type: 't', input: { n: 'high' }, priority: 5 });
      await queue.enqueue({ type: 't', input: { n: 'later' }, delayMs: 60_000, priority: 9 });
      const claimed = await queue.claim({ workerId: 'w1', limit: 10 });
      expect(claimed.map((c) => c.input)).toEqual([{ n: 'high' }, { n: 'low' }]);
      expect(claimed.every((c) => c.attempt === 1)).toBe(true);
      expect(await queue.claim({ workerId: 'w2', limit: 10 })).toHaveLength(0);
      clock.advance(60_000);
      expect(await queue.claim({ workerId: 'w2', limit: 10 })).toHaveLength(1);
    });

    it('filters claims by type and queue', async () => {
      await queue.enqueue({ type: 'a' });
      await queue.enqueue({ type: 'b', queue: 'other' });
      expect(await queue.claim({ workerId: 'w', limit: 5, types: ['b'], queues: ['default'] })).toHaveLength(
        0,
      );
      const got = await queue.claim({ workerId: 'w', limit: 5, types: ['b'], queues: ['other'] });
      expect(got.map((t) => t.type)).toEqual(['b']);
    });

    it('fences every write by (task, attempt) and counts stale writes', async () => {
      const { task } = await queue.enqueue({ type: 't' });
      const [first] = await queue.claim({ workerId: 'w1', limit: 1 });
      expect(first).toBeDefined();
      clock.advance(10_001);
      expect(await queue.reclaimExpired()).toEqual([
        expect.objectContaining({ id: task.id, state: 'ready' }),
      ]);
      const [second] = await queue.claim({ workerId: 'w2', limit: 1 });
      expect(second?.attempt).toBe(2);
      const stale = { taskId: task.id, attempt: 1 };
      await expect(queue.complete(stale, { by: 'w1' })).rejects.toMatchObject({
        code: ErrorCode.staleAttempt,
      });
      await expect(queue.saveCheckpoint(stale, 'x', {})).rejects.toMatchObject({
        code: ErrorCode.staleAttempt,
      });
      await expect(queue.fail(stale, { error: transient, retryDelayMs: 0 })).rejects.toMatchObject({
        code: ErrorCode.staleAttempt,
      });
      expect((await queue.heartbeat([stale])).lost).toEqual([stale]);
      await queue.complete({ taskId: task.id, attempt: 2 }, { by: 'w2' });
      const done = await queue.get(task.id);
      // The heartbeat counts too: a newer attempt holds the task, so the beat came from a worker that
      // outlived its lease.
      expect(done).toMatchObject({ state: 'succeeded', result: { by: 'w2' }, staleWrites: 4 });
      const events = await readEvents(db, { types: ['task.stale_write'] });
      expect(events.map((e) => e.payload['operation']).sort()).toEqual([
        'checkpoint',
        'complete',
        'fail',
        'heartbeat',
      ]);
    });

    it('a heartbeat extends the lease and records progress', async () => {
      const { task } = await queue.enqueue({ type: 't' });
      const [claimed] = await queue.claim({ workerId: 'w', limit: 1 });
      clock.advance(8_000);
      expect(
        await queue.heartbeat([{ taskId: task.id, attempt: claimed!.attempt, progress: { pct: 40 } }]),
      ).toEqual({ lost: [], checkpointRequested: [] });
      clock.advance(8_000);
      expect(await queue.reclaimExpired()).toEqual([]);
      expect((await queue.get(task.id))?.progress).toEqual({ pct: 40 });
    });

    it('retries with the given delay, then dead-letters after max attempts with its history', async () => {
      const { task } = await queue.enqueue({ type: 't', maxAttempts: 2 });
      const [a1] = await queue.claim({ workerId: 'w', limit: 1 });
      expect(
        await queue.fail(
          { taskId: task.id, attempt: a1!.attempt },
          { error: transient, retryDelayMs: 5_000 },
        ),
      ).toBe('retry');
      expect(await queue.claim({ workerId: 'w', limit: 1 })).toHaveLength(0);
      clock.advance(5_000);
      const [a2] = await queue.claim({ workerId: 'w', limit: 1 });
      expect(
        await queue.fail({ taskId: task.id, attempt: a2!.attempt }, { error: transient, retryDelayMs: 0 }),
      ).toBe('dead');
      const dead = await queue.get(task.id);
      expect(dead?.state).toBe('dead');
      expect(dead?.history.map((h) => h.outcome)).toEqual(['failed', 'failed']);
      const types = (await readEvents(db)).map((e) => e.type);
      expect(types).toEqual(['task.retry', 'task.dead']);
      expect(await queue.retry(task.id)).toBe(true);
      expect(await queue.claim({ workerId: 'w', limit: 1 })).toHaveLength(1);
    });

    it('a non-retryable error fails the task at once', async () => {
      const { task } = await queue.enqueue({ type: 't' });
      const [c] = await queue.claim({ workerId: 'w', limit: 1 });
      expect(
        await queue.fail({ taskId: task.id, attempt: c!.attempt }, { error: fatal, retryDelayMs: 0 }),
      ).toBe('failed');
      expect((await queue.get(task.id))?.state).toBe('failed');
    });

    it('a task whose worker keeps dying is quarantined (dead) after max attempts', async () => {
      const { task } = await queue.enqueue({ type: 't', maxAttempts: 2 });
      for (let i = 0; i < 2; i++) {
        expect(await queue.claim({ workerId: `w${i}`, limit: 1 })).toHaveLength(1);
        clock.advance(10_001);
        await queue.reclaimExpired();
      }
      expect(await queue.get(task.id)).toMatchObject({ state: 'dead', error: { code: 'LEASE_EXPIRED' } });
    });

    it('hands the last checkpoint to the next attempt', async () => {
      const { task } = await queue.enqueue({ type: 't' });
      const [c1] = await queue.claim({ workerId: 'w', limit: 1 });
      expect(c1?.checkpoint).toBeNull();
      await queue.saveCheckpoint({ taskId: task.id, attempt: 1 }, 'step-3', { done: 3 });
      await queue.saveCheckpoint({ taskId: task.id, attempt: 1 }, 'step-4', { done: 4 });
      clock.advance(10_001);
      await queue.reclaimExpired();
      const [c2] = await queue.claim({ workerId: 'w2', limit: 1 });
      expect(c2?.checkpoint).toEqual({ token: 'step-4', data: { done: 4 }, attempt: 1 });
    });

    it("expires only the named attempts' leases (a dead worker's), fenced by attempt and owner", async () => {
      const [run] = await db.query<{ id: string }>(
        `insert into runs (idea, plan, plan_hash, budgets) values ('{}', '{}', 'h', '{}') returning id`,
      );
      const runId = run?.id as string;
      const { task: orphan } = await queue.enqueue({ type: 't', runId });
      await queue.claim({ workerId: 'host:1:dead', limit: 1 });
      const { task: kept } = await queue.enqueue({ type: 't', runId });
      await queue.claim({ workerId: 'host:2:alive', limit: 1 });
      const leases = await queue.runningLeases(runId);
      expect(leases.map((l) => [l.fence.taskId, l.owner]).sort()).toEqual(
        [
          [orphan.id, 'host:1:dead'],
          [kept.id, 'host:2:alive'],
        ].sort(),
      );
      const dead = leases.filter((l) => l.owner === 'host:1:dead');
      // A stale fence (an older attempt) or another owner changes nothing.
      const stale = dead.map((l) => ({ ...l, fence: { ...l.fence, attempt: 0 } }));
      expect(await queue.expireLeases(stale)).toBe(0);
      expect(await queue.expireLeases(dead.map((l) => ({ ...l, owner: 'host:3:other' })))).toBe(0);
      expect(await queue.expireLeases(dead)).toBe(1);
      expect((await queue.reclaimExpired()).map((r) => r.id)).toEqual([orphan.id]);
      expect((await queue.get(orphan.id))?.state).toBe('ready');
      expect((await queue.get(kept.id))?.state).toBe('running');
    });

    it('release hands a task back without costing an attempt; cancel stops it', async () => {
      const { task } = await queue.enqueue({ type: 't', maxAttempts: 1 });
      const [c] = await queue.claim({ workerId: 'w', limit: 1 });
      await queue.release({ taskId: task.id, attempt: c!.attempt });
      const [again] = await queue.claim({ workerId: 'w', limit: 1 });
      expect(again?.attempt).toBe(2);
      expect(await queue.cancel(task.id)).toBe(true);
      expect((await queue.heartbeat([{ taskId: task.id, attempt: 2 }])).lost).toHaveLength(1);
      // Lost because the task ended, not because a newer attempt took it: not a stale write.
      expect(await queue.get(task.id)).toMatchObject({ state: 'cancelled', staleWrites: 0 });
    });

    it('reports stats: counts by state, due and oldest ready age', async () => {
      await queue.enqueueMany([{ type: 't' }, { type: 't' }, { type: 't', delayMs: 1_000_000 }]);
      clock.advance(2_500);
      const stats = await queue.stats();
      expect(stats.byState.ready).toBe(3);
      expect(stats.due).toBe(2);
      expect(stats.oldestReadyAgeMs).toBe(2_500);
    });

    it('every event the queue writes matches its schema', async () => {
      const a = await queue.enqueue({ type: 't', maxAttempts: 2 });
      const b = await queue.enqueue({ type: 't' });
      const claimed = await queue.claim({ workerId: 'w', limit: 2 });
      // RETURNING order is not specified: pick the two tasks by id.
      const ca = claimed.find((t) => t.id === a.task.id);
      const cb = claimed.find((t) => t.id === b.task.id);
      await queue.fail({ taskId: ca!.id, attempt: ca!.attempt }, { error: transient, retryDelayMs: 10 });
      clock.advance(10_001);
      await queue.reclaimExpired();
      await expect(queue.complete({ taskId: cb!.id, attempt: cb!.attempt }, 'late')).rejects.toMatchObject({
        code: ErrorCode.staleAttempt,
      });
      const again = (await queue.claim({ workerId: 'w', limit: 2 })).find((t) => t.id === a.task.id);
      await queue.fail({ taskId: again!.id, attempt: again!.attempt }, { error: fatal, retryDelayMs: 0 });
      await queue.cancel(b.task.id);
      const events = await readEvents(db);
      expect(new Set(events.map((e) => e.type))).toEqual(
        new Set(['task.retry', 'task.stale_write', 'task.failed', 'task.cancelled']),
      );
      expectValidEvents(events);
      expect(a.task.id).toBeDefined();
    });

    it('concurrent claimers never get the same task', async () => {
      await queue.enqueueMany(Array.from({ length: 200 }, (_, i) => ({ type: 't', input: { i } })));
      const claimers = Array.from({ length: 4 }, (_, w) =>
        (async () => {
          const got: string[] = [];
          for (;;) {
            const batch = await queue.claim({ workerId: `w${w}`, limit: 7 });
            if (batch.length === 0) return got;
            got.push(...batch.map((b) => b.id));
          }
        })(),
      );
      const all = (await Promise.all(claimers)).flat();
      expect(all).toHaveLength(200);
      expect(new Set(all).size).toBe(200);
    });
  });
}
