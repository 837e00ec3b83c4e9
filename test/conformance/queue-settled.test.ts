import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.ts';
import { SETTLED_CHANNEL } from '../../src/queue/settled-notifier.ts';
import { SqlTaskQueue } from '../../src/queue/sql-task-queue.ts';
import type { TaskSettled } from '../../src/queue/task-queue.ts';
import type { Database } from '../../src/storage/database.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { drivers } from '../support/services.ts';
import { fatal, transient } from './queue-suite.ts';

/** Settle notifications in one process, on every driver: each path that ends a task tells its waiters. */
function settledSuite(name: string, open: () => Promise<Database>): void {
  describe(`queue settle notifications: ${name}`, () => {
    let db: Database;
    let clock: FakeClock;
    let queue: SqlTaskQueue;
    let heard: TaskSettled[];
    let unsubscribe: () => Promise<void>;

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
      heard = [];
      // A second queue over the same database: waiters hear writes made through any queue instance.
      unsubscribe = await new SqlTaskQueue(db).onSettled((e) => heard.push(e));
      return () => unsubscribe();
    });

    async function claimOne(): Promise<{ taskId: string; attempt: number }> {
      const [c] = await queue.claim({ workerId: 'w', limit: 1 });
      if (!c) throw new Error('nothing to claim');
      return { taskId: c.id, attempt: c.attempt };
    }

    it('complete: heard once, after the write, with the run and the state', async () => {
      const [run] = await db.query<{ id: string }>(
        `insert into runs (idea, plan, plan_hash, budgets) values ('{}', '{}', 'h', '{}') returning id`,
      );
      const { task } = await queue.enqueue({ type: 't', runId: run!.id });
      const fence = await claimOne();
      expect(heard).toEqual([]);
      await queue.complete(fence, { ok: 1 });
      expect(heard).toEqual([{ taskId: task.id, runId: run!.id, state: 'succeeded' }]);
      // The listener may read the outcome as soon as it hears: the write is visible.
      expect((await queue.outcomes([task.id])).get(task.id)).toEqual({
        state: 'succeeded',
        result: { ok: 1 },
        error: null,
      });
    });

    it('a stale completion settles nothing and tells no one', async () => {
      await queue.enqueue({ type: 't' });
      const first = await claimOne();
      clock.advance(10_001);
      await queue.reclaimExpired();
      const second = await claimOne();
      await expect(queue.complete(first, 'late')).rejects.toMatchObject({ code: ErrorCode.staleAttempt });
      expect(heard).toEqual([]);
      await queue.complete(second, 'on time');
      expect(heard.map((e) => e.state)).toEqual(['succeeded']);
    });

    it('fail: a retry is not a settlement; failed and dead are', async () => {
      const a = await queue.enqueue({ type: 't', maxAttempts: 2 });
      expect(await queue.fail(await claimOne(), { error: transient, retryDelayMs: 0 })).toBe('retry');
      expect(heard).toEqual([]);
      expect(await queue.fail(await claimOne(), { error: transient, retryDelayMs: 0 })).toBe('dead');
      const b = await queue.enqueue({ type: 't' });
      expect(await queue.fail(await claimOne(), { error: fatal, retryDelayMs: 0 })).toBe('failed');
      expect(heard).toEqual([
        { taskId: a.task.id, runId: null, state: 'dead' },
        { taskId: b.task.id, runId: null, state: 'failed' },
      ]);
    });

    it('cancel, lease expiry on the last attempt and the supervisor escalation are heard', async () => {
      const ready = await queue.enqueue({ type: 't' });
      expect(await queue.cancel(ready.task.id)).toBe(true);
      expect(await queue.cancel(ready.task.id)).toBe(false);
      const orphan = await queue.enqueue({ type: 't', maxAttempts: 1 });
      await claimOne();
      clock.advance(10_001);
      expect(await queue.reclaimExpired()).toEqual([expect.objectContaining({ state: 'dead' })]);
      const stuck = await queue.enqueue({ type: 't' });
      const fence = await claimOne();
      // An unstick that retries is not a settlement; the ladder's last rung (fail) is.
      expect(await queue.unstick(fence, { strategy: 'retry', reason: 'stalled' })).toBe(true);
      expect(heard).toHaveLength(2);
      const again = await claimOne();
      expect(
        await queue.unstick(again, {
          strategy: 'escalate',
          reason: 'ladder exhausted',
          fail: { ...fatal, code: 'STALLED' },
        }),
      ).toBe(true);
      expect(heard).toEqual([
        { taskId: ready.task.id, runId: null, state: 'cancelled' },
        { taskId: orphan.task.id, runId: null, state: 'dead' },
        { taskId: stuck.task.id, runId: null, state: 'failed' },
      ]);
    });

    it('a completion in a rolled-back caller transaction settles nothing', async () => {
      const { task } = await queue.enqueue({ type: 't' });
      const fence = await claimOne();
      await expect(
        db.transaction(async (tx) => {
          await queue.complete(fence, 'x', tx);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect((await queue.outcomes([task.id])).get(task.id)?.state).toBe('running');
      await db.transaction((tx) => queue.complete(fence, 'y', tx));
      // Postgres delivers the in-transaction NOTIFY after the commit; wait for it, bounded.
      for (let i = 0; i < 100 && !heard.some((e) => e.state === 'succeeded'); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(heard.filter((e) => e.state === 'succeeded')).toEqual([
        { taskId: task.id, runId: null, state: 'succeeded' },
      ]);
    });

    it('completeMany: one statement, fenced per (task, attempt): a stale attempt changes nothing', async () => {
      const a = await queue.enqueue({ type: 't' });
      const b = await queue.enqueue({ type: 't' });
      const [ca, cb] = await queue.claim({ workerId: 'w', limit: 2 });
      const fa = { taskId: ca!.id, attempt: ca!.attempt };
      const fb = { taskId: cb!.id, attempt: cb!.attempt };
      // b's attempt is taken away and re-claimed: its old fence must write nothing.
      await queue.expireLeases([{ fence: fb, owner: 'w', heartbeatAt: null }]);
      await queue.reclaimExpired();
      const [cb2] = await queue.claim({ workerId: 'w2', limit: 1 });
      expect(cb2?.attempt).toBe(fb.attempt + 1);
      const { stale } = await queue.completeMany([
        { fence: fa, result: { n: 'a' } },
        { fence: fb, result: { n: 'stale' } },
      ]);
      expect(stale).toEqual([fb]);
      const outcomes = await queue.outcomes([a.task.id, b.task.id]);
      expect(outcomes.get(fa.taskId)).toMatchObject({ state: 'succeeded', result: { n: 'a' } });
      expect(outcomes.get(fb.taskId)).toMatchObject({ state: 'running', result: null });
      expect((await queue.get(fb.taskId))?.staleWrites).toBe(1);
      expect(heard).toEqual([{ taskId: fa.taskId, runId: null, state: 'succeeded' }]);
      expect(await queue.completeMany([])).toEqual({ stale: [] });
    });

    it('unsubscribed listeners hear nothing more; outcomes reads many ids at once', async () => {
      const ids = await queue.enqueueMany([{ type: 't' }, { type: 't' }]);
      await unsubscribe();
      await queue.cancel(ids[0]!);
      expect(heard).toEqual([]);
      const outcomes = await queue.outcomes([...ids, '00000000-0000-0000-0000-000000000000']);
      expect(outcomes.size).toBe(2);
      expect(outcomes.get(ids[0]!)).toMatchObject({ state: 'cancelled' });
      expect(outcomes.get(ids[1]!)).toEqual({ state: 'ready', result: null, error: null });
      expect((await queue.outcomes([])).size).toBe(0);
    });

    it('sends a NOTIFY only where the driver can listen across processes', async () => {
      const raw: string[] = [];
      const stop = await db.listen(SETTLED_CHANNEL, (p) => raw.push(p));
      try {
        await queue.enqueue({ type: 't' });
        await queue.complete(await claimOne(), 'done');
        for (let i = 0; i < 50 && raw.length === 0 && db.capabilities.listenNotify; i++)
          await new Promise((r) => setTimeout(r, 20));
        // PGlite can LISTEN in-process, so a NOTIFY sent there would show up here.
        await new Promise((r) => setTimeout(r, 50));
        expect(raw).toHaveLength(db.capabilities.listenNotify ? 1 : 0);
      } finally {
        await stop();
      }
    });
  });
}

for (const driver of drivers) {
  if (driver.available) settledSuite(driver.name, driver.open);
  else
    describe.skip(`queue settle notifications: ${driver.name} (service unreachable)`, () =>
      it('skipped', () => {}));
}
