import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isIdeaMineError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Database } from '../storage/database.ts';
import { openDatabase } from '../storage/open.ts';
import { createDiagEffect, createEnvEffectSink, createSqlEffectSink, effectKey } from './diag-effect.ts';
import { createDiagPoison } from './diag-poison.ts';
import type { TaskContext } from './worker-pool.ts';

function context(input: unknown, attempt = 1, id = newId()): TaskContext {
  return {
    task: {
      id,
      type: 'diag',
      kind: 'system',
      queue: 'default',
      input,
      attempt,
      maxAttempts: 5,
      leaseMs: 1_000,
      runId: null,
      phaseRowId: null,
      checkpoint: null,
    },
    signal: new AbortController().signal,
    checkpoint: null,
    progress: () => {},
    saveCheckpoint: async () => {},
    checkpointRequested: false,
    onCheckpointRequest: () => {},
  } as unknown as TaskContext;
}

async function rejection(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (error) {
    return { ...(isIdeaMineError(error) ? { code: error.code } : {}), message: (error as Error).message };
  }
  throw new Error('expected a rejection');
}

describe('diag.effect and diag.poison', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ driver: 'pglite' });
  });
  afterAll(async () => db.close());

  it('an idempotent effect applies once; a plain one leaves a row per execution', async () => {
    const sink = createSqlEffectSink(db);
    const id = newId();
    const first = await sink.record({
      taskId: id,
      attempt: 1,
      idempotencyKey: effectKey(id),
      idempotent: true,
    });
    const again = await sink.record({
      taskId: id,
      attempt: 2,
      idempotencyKey: effectKey(id),
      idempotent: true,
    });
    expect([first, again]).toEqual([
      { effect: 'applied', earlier: 0 },
      { effect: 'skipped', earlier: 1 },
    ]);
    const plain = newId();
    await sink.record({ taskId: plain, attempt: 1, idempotencyKey: effectKey(plain), idempotent: false });
    const second = await sink.record({
      taskId: plain,
      attempt: 2,
      idempotencyKey: effectKey(plain),
      idempotent: false,
    });
    expect(second).toEqual({ effect: 'applied', earlier: 1 });
    const rows = await db.query<{ key: string; n: number }>(
      'select idempotency_key as key, count(*)::int as n from diag_effects group by 1 order by 2',
    );
    expect(rows.map((r) => r.n)).toEqual([1, 2]);
  });

  it('works, applies its effect and reports the attempt', async () => {
    const handler = createDiagEffect({ sink: createSqlEffectSink(db), faultsEnabled: false });
    const result = await handler(context({ ms: 20, sliceMs: 10, idempotent: true }, 3));
    expect(result).toMatchObject({ attempt: 3, effect: 'applied', workedMs: 20, resumedFromMs: 0 });
  });

  it('refuses crash injection and poison where faults are not enabled, and bad input, clearly', async () => {
    const effect = createDiagEffect({ sink: createSqlEffectSink(db), faultsEnabled: false });
    expect(await rejection(effect(context({ ms: 1, crashAfterFirstEffect: true })))).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/IDEAMINE_DIAG_FAULTS=1/),
    });
    expect(await rejection(effect(context({ ms: 'soon' })))).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/^diag\.effect input: ms:/),
    });
    const poison = createDiagPoison({ faultsEnabled: false });
    expect(await rejection(poison(context({ mode: 'self-kill' })))).toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('accepts the unsticker’s patch in its input', async () => {
    const handler = createDiagEffect({ sink: createSqlEffectSink(db), faultsEnabled: false });
    await expect(
      handler(context({ ms: 1, unstick: { strategy: 'reclaim', rung: 0 } })),
    ).resolves.toMatchObject({ attempt: 1 });
  });

  it('poison: throw is a retryable task failure; hang returns after hangMs', async () => {
    const poison = createDiagPoison({ faultsEnabled: true });
    expect(await rejection(poison(context({ mode: 'throw', afterMs: 0 }, 2)))).toEqual({
      code: 'TASK_FAILED',
      message: 'diag.poison: injected failure (attempt 2)',
    });
    await expect(poison(context({ mode: 'hang', hangMs: 10 }))).resolves.toMatchObject({ hungMs: 10 });
  });

  it('without DATABASE_URL the effect fails with a configuration error, not a crash', async () => {
    const sink = createEnvEffectSink({});
    const id = newId();
    expect(
      await rejection(
        sink.record({ taskId: id, attempt: 1, idempotencyKey: effectKey(id), idempotent: true }),
      ),
    ).toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});
