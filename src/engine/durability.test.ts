import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { ErrorCode } from '../core/errors.ts';
import { appendLedger, readLedger, verifyLedger } from '../observability/ledger.ts';
import { retryDelayMs } from '../queue/backoff.ts';
import { SqlTaskQueue } from '../queue/sql-task-queue.ts';
import type { Database } from '../storage/database.ts';
import { appendEvents, EVENTS_CHANNEL, readEvents } from '../storage/event-store.ts';
import { openDatabase } from '../storage/open.ts';
import { subscribeEvents } from './event-bus.ts';
import { RunLease } from './run-lease.ts';
import { StepRunner } from './steps.ts';
import { TimerService } from './timers.ts';

const backoff = { baseMs: 1_000, maxMs: 60_000, jitter: 0 };

describe('durability across a restart (PGlite data dir, injected clock)', () => {
  let dir: string;
  let db: Database;
  const reopen = async () => {
    await db.close();
    db = await openDatabase({ driver: 'pglite', dataDir: dir });
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ideamine-durability-'));
    db = await openDatabase({ driver: 'pglite', dataDir: dir });
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a retry becomes due exactly at its backoff time and is claimed once, across a restart', async () => {
    const clock = new FakeClock();
    let queue = new SqlTaskQueue(db, { clock });
    const { task } = await queue.enqueue({ type: 't', maxAttempts: 4 });
    const expected = [1_000, 2_000, 4_000];
    const error = { code: 'X', message: 'flaky', errorClass: 'transient' as const, retryable: true };
    let [current] = await queue.claim({ workerId: 'w', limit: 1 });
    for (const [i, delay] of expected.entries()) {
      expect(current?.attempt).toBe(i + 1);
      expect(retryDelayMs(current!.attempt, {}, backoff)).toBe(delay);
      await queue.fail({ taskId: task.id, attempt: current!.attempt }, { error, retryDelayMs: delay });
      await reopen(); // the process restarts while the retry is pending
      queue = new SqlTaskQueue(db, { clock });
      clock.advance(delay - 1);
      expect(await queue.claim({ workerId: 'w', limit: 1 })).toHaveLength(0);
      clock.advance(1);
      const due = await queue.claim({ workerId: 'w', limit: 5 });
      expect(due).toHaveLength(1);
      expect(await queue.claim({ workerId: 'w2', limit: 5 })).toHaveLength(0);
      current = due[0];
    }
    const events = await readEvents(db, { types: ['task.retry'] });
    expect(events.map((e) => e.payload['delayMs'])).toEqual(expected);
  });

  it('a durable timer fires once, late rather than never, across a restart', async () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    const service = () =>
      new TimerService({
        db,
        clock,
        handlers: {
          custom: async (timer, tx) => {
            fired.push(timer.key);
            await new SqlTaskQueue(db).enqueue({ type: 'from-timer', input: timer.payload }, tx);
          },
        },
      });
    const start = clock.now();
    await service().schedule({
      key: 'wake-up',
      kind: 'custom',
      fireAt: new Date(start + 5_000),
      payload: { n: 1 },
    });
    await service().schedule({ key: 'wake-up', kind: 'custom', fireAt: new Date(start + 9_000) }); // same key: no-op
    clock.advance(4_999);
    expect(await service().fireDue()).toBe(0);
    await reopen();
    clock.advance(60_000); // nobody was running when it came due
    const s = service();
    expect(await s.fireDue()).toBe(1);
    expect(await s.fireDue()).toBe(0);
    await reopen();
    expect(await service().fireDue()).toBe(0);
    expect(fired).toEqual(['wake-up']);
    const tasks = await db.query<{ n: number }>(
      `select count(*)::int as n from tasks where type = 'from-timer'`,
    );
    expect(tasks[0]?.n).toBe(1);
    expect((await service().get('wake-up'))?.state).toBe('fired');
  });

  it('durable steps replay stored results and reject a different step at the same position', async () => {
    await db.query(`insert into runs (id, idea) values ('00000000-0000-4000-8000-000000000001', '{}')`);
    let calls = 0;
    const first = new StepRunner(db, 'run-1');
    expect(await first.step('plan', async () => ({ calls: ++calls }))).toEqual({ calls: 1 });
    expect(await first.step('dispatch', async () => ++calls)).toBe(2);
    await reopen();
    const replay = new StepRunner(db, 'run-1');
    expect(await replay.step('plan', async () => ({ calls: ++calls }))).toEqual({ calls: 1 });
    await expect(replay.step('guard', async () => ++calls)).rejects.toMatchObject({
      code: ErrorCode.determinism,
    });
    expect(calls).toBe(2);
  });
});

describe('run lease, ledger and event bus (PGlite)', () => {
  let db: Database;
  beforeEach(async () => {
    db = await openDatabase({ driver: 'pglite' });
    await db.query(`insert into runs (id, idea) values ('00000000-0000-4000-8000-000000000002', '{}')`);
  });
  afterEach(async () => db.close());
  const runId = '00000000-0000-4000-8000-000000000002';

  it('one process holds a run lease; another takes over after it lapses, and the old holder is fenced', async () => {
    const a = new RunLease(db, 'proc-a', 200);
    const b = new RunLease(db, 'proc-b', 200);
    const fenceA = await a.acquire(runId);
    expect(fenceA).toBeDefined();
    expect(await b.acquire(runId)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 250));
    const fenceB = await b.acquire(runId);
    expect(fenceB?.epoch).toBe((fenceA?.epoch ?? 0) + 1);
    await expect(a.renew(fenceA!)).rejects.toMatchObject({ code: ErrorCode.leaseLost });
    const stale = new StepRunner(db, runId, fenceA);
    await expect(stale.step('x', async () => 1)).rejects.toMatchObject({ code: ErrorCode.leaseLost });
    const current = new StepRunner(db, runId, fenceB);
    expect(await current.step('x', async () => 2)).toBe(2);
  });

  it('the ledger is append-only and hash-chained', async () => {
    for (const n of [1, 2, 3]) {
      await db.transaction((tx) =>
        appendLedger(tx, { runId, type: 'decision', data: { n }, provenance: { by: 'test' } }),
      );
    }
    expect(await verifyLedger(db, runId)).toEqual({ ok: true, entries: 3 });
    await expect(db.query(`update ledger set data = '{"n": 9}' where run_id = $1`, [runId])).rejects.toThrow(
      /append-only/,
    );
    await expect(db.query('delete from ledger')).rejects.toThrow(/append-only/);
    // Tamper behind the trigger's back: verify notices.
    await db.exec('alter table ledger disable trigger ledger_append_only');
    await db.query(`update ledger set data = '{"n": 9}' where run_id = $1 and data ->> 'n' = '2'`, [runId]);
    const result = await verifyLedger(db, runId);
    expect(result.ok).toBe(false);
    expect(result.brokenAt?.reason).toMatch(/hash/);
    expect((await readLedger(db, runId)).map((e) => e.data['n'])).toEqual([1, 9, 3]);
  });

  it('delivers events in order to subscribers, including ones appended before subscribing', async () => {
    const got: string[] = [];
    await db.transaction((tx) => appendEvents(tx, db.channel(EVENTS_CHANNEL), [{ type: 'a', runId }]));
    const sub = await subscribeEvents(db, { runId, pollMs: 10_000 }, (e) => {
      got.push(e.type);
    });
    await db.transaction((tx) =>
      appendEvents(tx, db.channel(EVENTS_CHANNEL), [
        { type: 'b', runId },
        { type: 'c', runId },
      ]),
    );
    const deadline = Date.now() + 3_000;
    while (got.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await sub.close();
    expect(got).toEqual(['a', 'b', 'c']);
  });
});
