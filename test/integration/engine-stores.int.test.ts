import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/storage/database.ts';
import { ensureDiagEffectsTable, insertDiagEffect } from '../../src/storage/diag-effect-store.ts';
import { openDatabase } from '../../src/storage/open.ts';
import {
  acquireRunLease,
  releaseRunLease,
  renewRunLease,
  takeOverRunLease,
} from '../../src/storage/run-lease-store.ts';
import { findStepResult, recordStepResult } from '../../src/storage/step-store.ts';
import {
  cancelPendingTimer,
  findTimer,
  insertTimer,
  lockDueTimer,
  markTimerFired,
} from '../../src/storage/timer-store.ts';
import { dropSchema, POSTGRES_URL, postgresReachable, uniqueSchema } from '../support/services.ts';

/**
 * The engine's repositories (timers, durable steps, run lease, diag effects) on a real Postgres: the
 * statements moved out of `src/engine`, checked for the behaviour the engine relies on — idempotent
 * inserts, SKIP LOCKED between two transactions, and fencing by lease epoch.
 */
describe.skipIf(!postgresReachable)('engine repositories on Postgres', () => {
  const schema = uniqueSchema('engine_stores');
  let db: Database;

  beforeAll(async () => {
    db = await openDatabase({ driver: 'postgres', url: POSTGRES_URL, schema, poolSize: 4 });
  });
  afterAll(async () => {
    await db?.close();
    await dropSchema(schema);
  });

  const newRun = async (): Promise<string> => {
    const rows = await db.query<{ id: string }>('insert into runs (idea) values ($1) returning id', ['{}']);
    return rows[0]?.id as string;
  };
  const at = (iso: string) => new Date(iso);

  describe('timer-store', () => {
    it('inserts once per key and reads the row back as a domain object', async () => {
      const runId = await newRun();
      const first = await insertTimer(db, {
        key: 'once',
        kind: 'timebox',
        fireAt: at('2030-01-01T00:00:00Z'),
        runId,
        payload: { phase: 'qa' },
      });
      const again = await insertTimer(db, { key: 'once', kind: 'retry', fireAt: at('2031-01-01T00:00:00Z') });
      expect(again).toEqual(first);
      expect(first).toMatchObject({
        key: 'once',
        kind: 'timebox',
        runId,
        taskId: null,
        fireAt: at('2030-01-01T00:00:00Z'),
        payload: { phase: 'qa' },
        state: 'pending',
        firedAt: null,
      });
      expect(await findTimer(db, 'once')).toEqual(first);
      expect(await findTimer(db, 'no such key')).toBeUndefined();
    });

    it('locks only due timers of the asked kinds, and marks them fired at the given time', async () => {
      await insertTimer(db, { key: 'due-custom', kind: 'custom', fireAt: at('2020-01-01T00:00:00Z') });
      await insertTimer(db, { key: 'later-custom', kind: 'custom', fireAt: at('2020-01-01T00:01:00Z') });
      const now = '2020-01-01T00:00:30Z';
      await db.transaction(async (tx) => {
        expect(await lockDueTimer(tx, now, ['timeout'])).toBeUndefined();
        const due = await lockDueTimer(tx, now, ['custom']);
        expect(due?.key).toBe('due-custom');
        expect(await markTimerFired(tx, due?.id as string, now)).toEqual(at(now));
      });
      expect(await findTimer(db, 'due-custom')).toMatchObject({ state: 'fired', firedAt: at(now) });
      await db.transaction(async (tx) => {
        expect(await lockDueTimer(tx, now, ['custom'])).toBeUndefined();
      });
    });

    it('passes over a timer another transaction has locked (SKIP LOCKED)', async () => {
      await insertTimer(db, { key: 'skip-a', kind: 'timeout', fireAt: at('2019-01-01T00:00:00Z') });
      await insertTimer(db, { key: 'skip-b', kind: 'timeout', fireAt: at('2019-01-01T00:00:01Z') });
      const now = '2019-06-01T00:00:00Z';
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked!: (key: string | undefined) => void;
      const firstLocked = new Promise<string | undefined>((resolve) => {
        locked = resolve;
      });
      const first = db.transaction(async (tx) => {
        locked((await lockDueTimer(tx, now, ['timeout']))?.key);
        await held;
      });
      let second: Awaited<ReturnType<typeof lockDueTimer>>;
      try {
        expect(await firstLocked).toBe('skip-a');
        second = await db.transaction((tx) => lockDueTimer(tx, now, ['timeout']));
      } finally {
        release(); // a failed expectation must not leave the first transaction open
      }
      await first;
      expect(second?.key).toBe('skip-b');
    });

    it('cancels a pending timer once, and never a fired one', async () => {
      await insertTimer(db, { key: 'cancel-me', kind: 'custom', fireAt: at('2040-01-01T00:00:00Z') });
      expect(await cancelPendingTimer(db, 'cancel-me')).toBe(true);
      expect(await cancelPendingTimer(db, 'cancel-me')).toBe(false);
      expect((await findTimer(db, 'cancel-me'))?.state).toBe('cancelled');
      expect(await cancelPendingTimer(db, 'due-custom')).toBe(false);
    });
  });

  describe('run-lease-store and step-store fencing', () => {
    it('one holder at a time; the epoch moves on every change of holder', async () => {
      const runId = await newRun();
      expect(await acquireRunLease(db, runId, 'a', 60_000)).toBe(1);
      expect(await acquireRunLease(db, runId, 'a', 60_000)).toBe(1); // re-taking one's own live lease
      expect(await acquireRunLease(db, runId, 'b', 60_000)).toBeUndefined();
      expect(await renewRunLease(db, { runId, owner: 'a', epoch: 1 }, 60_000)).toBe(true);
      expect(await takeOverRunLease(db, runId, 'b', 60_000, 'someone else')).toBeUndefined();
      expect(await takeOverRunLease(db, runId, 'b', 60_000, 'a')).toBe(2);
      expect(await renewRunLease(db, { runId, owner: 'a', epoch: 1 }, 60_000)).toBe(false);
      await releaseRunLease(db, { runId, owner: 'a', epoch: 1 }); // stale: changes nothing
      expect(await acquireRunLease(db, runId, 'c', 60_000)).toBeUndefined();
      await releaseRunLease(db, { runId, owner: 'b', epoch: 2 });
      expect(await acquireRunLease(db, runId, 'c', 60_000)).toBe(3);
    });

    it('a lapsed lease can be taken by anyone', async () => {
      const runId = await newRun();
      expect(await acquireRunLease(db, runId, 'a', 60_000)).toBe(1);
      await db.query(`update runs set lease_until = now() - interval '1 second' where id = $1`, [runId]);
      expect(await acquireRunLease(db, runId, 'b', 60_000)).toBe(2);
    });

    it('records a step once per position, and only while its fence holds the lease', async () => {
      const runId = await newRun();
      const scope = `${runId}/build`;
      expect(await findStepResult(db, scope, 0)).toBeUndefined();
      expect(
        await recordStepResult(db, { scope, position: 0, key: 'plan', value: { n: 1 } }, undefined),
      ).toBe(true);
      expect(await recordStepResult(db, { scope, position: 0, key: 'other', value: 2 }, undefined)).toBe(
        false,
      );
      expect(await findStepResult(db, scope, 0)).toEqual({ key: 'plan', value: { n: 1 } });
      expect(
        await recordStepResult(db, { scope, position: 1, key: 'void', value: undefined }, undefined),
      ).toBe(true);
      expect(await findStepResult(db, scope, 1)).toEqual({ key: 'void', value: undefined });

      const epoch = (await acquireRunLease(db, runId, 'a', 60_000)) as number;
      const fence = { runId, owner: 'a', epoch };
      expect(await recordStepResult(db, { scope, position: 2, key: 'fenced', value: 'x' }, fence)).toBe(true);
      await takeOverRunLease(db, runId, 'b', 60_000, 'a');
      expect(await recordStepResult(db, { scope, position: 3, key: 'late', value: 'y' }, fence)).toBe(false);
      expect(await findStepResult(db, scope, 3)).toBeUndefined();
    });
  });

  describe('diag-effect-store', () => {
    it('creates its table under concurrent callers and counts earlier executions', async () => {
      await Promise.all([ensureDiagEffectsTable(db), ensureDiagEffectsTable(db), ensureDiagEffectsTable(db)]);
      const taskId = '00000000-0000-4000-8000-000000000001';
      const once = { taskId, idempotencyKey: `effect:${taskId}`, idempotent: true };
      expect(await insertDiagEffect(db, { ...once, attempt: 1 })).toEqual({ effect: 'applied', earlier: 0 });
      expect(await insertDiagEffect(db, { ...once, attempt: 2 })).toEqual({ effect: 'skipped', earlier: 1 });
      const plain = { taskId, idempotencyKey: 'effect:plain', idempotent: false };
      expect(await insertDiagEffect(db, { ...plain, attempt: 1 })).toEqual({ effect: 'applied', earlier: 0 });
      expect(await insertDiagEffect(db, { ...plain, attempt: 2 })).toEqual({ effect: 'applied', earlier: 1 });
      const rows = await db.query<{ pid: number }>('select distinct pid from diag_effects');
      expect(rows).toEqual([{ pid: process.pid }]);
    });
  });
});
