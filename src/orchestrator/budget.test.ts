import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drivers,
  dropSchema,
  POSTGRES_URL,
  postgresReachable,
  uniqueSchema,
} from '../../test/support/services.ts';
import { ErrorCode, IdeaMineError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { readBudgetAccount } from '../storage/budget-store.ts';
import type { Database } from '../storage/database.ts';
import { readEvents } from '../storage/event-store.ts';
import { openDatabase } from '../storage/open.ts';
import { insertPhases, insertRun } from '../storage/run-store.ts';
import { BudgetAccount } from './budget.ts';

/**
 * BudgetAccount on the real database: a reservation is checked against the phase and the run inside
 * the UPDATE, refused without changing either, and settles to what was spent.
 */

async function setUp(db: Database, budgets: { run: object; phase: object }) {
  const runId = await insertRun(db, { idea: {}, plan: {}, planHash: 'h', budgets: budgets.run });
  await insertPhases(db, runId, [{ phase: 'prd', budgets: budgets.phase, planHash: 'h' }]);
  return { runId, account: new BudgetAccount(db, runId, 'prd') };
}

async function usage(db: Database, runId: string) {
  const phase = await readBudgetAccount(db, { kind: 'phase', runId, phase: 'prd' });
  const run = await readBudgetAccount(db, { kind: 'run', runId });
  return { phase: phase.usage, run: run.usage };
}

async function refusal(promise: Promise<unknown>): Promise<IdeaMineError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IdeaMineError);
  expect((error as IdeaMineError).code).toBe(ErrorCode.budgetExceeded);
  return error as IdeaMineError;
}

for (const driver of drivers) {
  describe.skipIf(!driver.available)(`BudgetAccount on ${driver.name}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await driver.open();
    });
    afterAll(async () => {
      await db?.close();
    });

    it('reserves against both accounts and settles to the actual spend', async () => {
      const { runId, account } = await setUp(db, { run: { tokens: 10_000 }, phase: { tokens: 5_000 } });
      await account.reserve({ tokens: 2_000, usd: 0.5 });
      expect(await usage(db, runId)).toEqual({
        phase: { tokens: 2_000, usd: 0.5 },
        run: { tokens: 2_000, usd: 0.5 },
      });
      await account.settle({ tokens: 2_000, usd: 0.5 }, { tokens: 700, usd: 0.1 });
      const after = await usage(db, runId);
      expect(after.phase['tokens']).toBe(700);
      expect(after.run['tokens']).toBe(700);
      expect(after.run['usd']).toBeCloseTo(0.1, 10);
      expect(await account.remainingTokens()).toBe(4_300);
    });

    it('refuses over the phase budget: nothing reserved, budget.exceeded appended', async () => {
      const { runId, account } = await setUp(db, { run: {}, phase: { tokens: 1_000 } });
      await account.reserve({ tokens: 800, usd: 0 }, undefined);
      const taskId = newId();
      const error = await refusal(account.reserve({ tokens: 300, usd: 0 }, taskId));
      expect(error.details).toMatchObject({ scope: 'phase', phase: 'prd' });
      expect((await usage(db, runId)).phase['tokens']).toBe(800);
      const events = await readEvents(db, { runId, types: ['budget.exceeded'] });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ taskId, phase: 'prd' });
      expect(events[0]?.payload).toMatchObject({ scope: 'phase', requested: { tokens: 300, usd: 0 } });
    });

    it('refuses over the run budget and rolls back the phase reservation and `within`', async () => {
      const { runId, account } = await setUp(db, { run: { usd: 1 }, phase: {} });
      let withinRan = false;
      const error = await refusal(
        account.reserve({ tokens: 10, usd: 2 }, undefined, async () => {
          withinRan = true;
        }),
      );
      expect(error.details).toMatchObject({ scope: 'run' });
      expect(withinRan).toBe(false);
      expect(await usage(db, runId)).toEqual({ phase: {}, run: {} });
    });

    it('refuses tools once tools_minutes is used up, and books the minutes a tool ran', async () => {
      const { runId, account } = await setUp(db, { run: { toolsMinutes: 5 }, phase: {} });
      await account.ensureToolMinutes('semgrep@1');
      await account.spendToolMinutes(3);
      await account.ensureToolMinutes('semgrep@1');
      await account.spendToolMinutes(2.5);
      expect(await usage(db, runId)).toEqual({ phase: { toolsMinutes: 5.5 }, run: { toolsMinutes: 5.5 } });
      const error = await refusal(account.ensureToolMinutes('semgrep@1'));
      expect(error.details).toMatchObject({ scope: 'run', tool: 'semgrep@1' });
    });

    it('treats a missing budget as unlimited and a missing phase as an account with nothing in it', async () => {
      const { runId, account } = await setUp(db, { run: {}, phase: {} });
      await account.reserve({ tokens: 1_000_000, usd: 100 });
      expect(await account.remainingTokens()).toBe(Number.POSITIVE_INFINITY);
      expect(await readBudgetAccount(db, { kind: 'phase', runId, phase: 'nope' })).toEqual({
        usage: {},
        budgets: {},
      });
    });
  });
}

describe.skipIf(!postgresReachable)('BudgetAccount across processes (two pools on one Postgres)', () => {
  const schema = uniqueSchema('budget');
  const pools: Database[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++)
      pools.push(await openDatabase({ driver: 'postgres', url: POSTGRES_URL, schema, poolSize: 4 }));
  });
  afterAll(async () => {
    for (const pool of pools) await pool.close();
    await dropSchema(schema);
  });

  it('lets exactly as many concurrent reservations through as the budget holds', async () => {
    const [first, second] = pools as [Database, Database];
    const { runId } = await setUp(first, { run: { tokens: 1_000 }, phase: { tokens: 10_000 } });
    const accounts = [first, second].map((db) => new BudgetAccount(db, runId, 'prd'));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => accounts[i % 2]?.reserve({ tokens: 300, usd: 0 })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused).toHaveLength(7);
    for (const r of refused)
      expect(((r as PromiseRejectedResult).reason as IdeaMineError).code).toBe(ErrorCode.budgetExceeded);
    expect(await usage(second, runId)).toEqual({
      phase: { tokens: 900, usd: 0 },
      run: { tokens: 900, usd: 0 },
    });
  });
});
