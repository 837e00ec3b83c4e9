import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type SerializedError } from '../../src/core/errors.ts';
import { SqlTaskQueue } from '../../src/queue/sql-task-queue.ts';
import type { ClaimedTask } from '../../src/queue/task-queue.ts';
import type { Database } from '../../src/storage/database.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { drivers } from '../support/services.ts';

/**
 * Random sequences of enqueue / claim / complete / fail / crash (a worker vanishes and its leases
 * lapse) / stale writes by vanished workers, then a drain. Whatever the sequence: every task ends in
 * exactly one terminal state, none is lost, a task is completed by exactly one accepted write, and
 * every write from a superseded attempt is rejected.
 */

type Op =
  | { kind: 'enqueue'; n: number }
  | { kind: 'claim'; worker: number; limit: number }
  | { kind: 'complete'; worker: number }
  | { kind: 'fail'; worker: number; retryable: boolean }
  | { kind: 'crash'; worker: number }
  | { kind: 'zombie-write'; worker: number };

const WORKERS = 3;
const LEASE_MS = 1_000;
const worker = fc.integer({ min: 0, max: WORKERS - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('enqueue' as const), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('claim' as const), worker, limit: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('complete' as const), worker }),
  fc.record({ kind: fc.constant('fail' as const), worker, retryable: fc.boolean() }),
  fc.record({ kind: fc.constant('crash' as const), worker }),
  fc.record({ kind: fc.constant('zombie-write' as const), worker }),
);

const err = (retryable: boolean): SerializedError => ({
  code: 'X',
  message: 'injected',
  errorClass: retryable ? 'transient' : 'fatal',
  retryable,
});

async function isStale(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch (e) {
    if ((e as { code?: string }).code === ErrorCode.staleAttempt) return true;
    throw e;
  }
}

for (const driver of drivers) {
  describe.runIf(driver.available)(`queue properties (${driver.name})`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await driver.open();
    });
    afterAll(async () => db?.close());

    it('every task ends exactly once and none is lost, whatever the sequence', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 40 }), async (ops) => {
          await db.exec('delete from checkpoints; delete from events; delete from tasks;');
          const clock = new FakeClock();
          const queue = new SqlTaskQueue(db, { clock, defaultLeaseMs: LEASE_MS, defaultMaxAttempts: 3 });
          const held: ClaimedTask[][] = Array.from({ length: WORKERS }, () => []);
          const zombies: ClaimedTask[] = [];
          const completions = new Map<string, number>();
          let enqueued = 0;
          let staleAccepted = 0;
          for (const o of ops) {
            clock.advance(50);
            switch (o.kind) {
              case 'enqueue':
                enqueued += (await queue.enqueueMany(Array.from({ length: o.n }, () => ({ type: 't' }))))
                  .length;
                break;
              case 'claim':
                held[o.worker]!.push(...(await queue.claim({ workerId: `w${o.worker}`, limit: o.limit })));
                break;
              case 'complete': {
                const t = held[o.worker]!.shift();
                if (
                  t &&
                  !(await isStale(queue.complete({ taskId: t.id, attempt: t.attempt }, { by: o.worker })))
                ) {
                  completions.set(t.id, (completions.get(t.id) ?? 0) + 1);
                }
                break;
              }
              case 'fail': {
                const t = held[o.worker]!.shift();
                if (t)
                  await isStale(
                    queue.fail(
                      { taskId: t.id, attempt: t.attempt },
                      { error: err(o.retryable), retryDelayMs: 0 },
                    ),
                  );
                break;
              }
              case 'crash':
                zombies.push(...held[o.worker]!.splice(0));
                clock.advance(LEASE_MS + 1);
                await queue.reclaimExpired();
                break;
              case 'zombie-write': {
                const z = zombies.shift();
                if (z) {
                  const current = await queue.get(z.id);
                  const superseded =
                    current !== undefined && (current.attempt !== z.attempt || current.state !== 'running');
                  const rejected = await isStale(
                    queue.complete({ taskId: z.id, attempt: z.attempt }, 'zombie'),
                  );
                  if (!rejected) completions.set(z.id, (completions.get(z.id) ?? 0) + 1);
                  if (superseded && !rejected) staleAccepted++;
                }
                break;
              }
            }
          }
          // Drain: every worker finishes what it holds, then one worker claims and completes the rest.
          for (const list of held) {
            for (const t of list.splice(0)) {
              if (!(await isStale(queue.complete({ taskId: t.id, attempt: t.attempt }, 'drain')))) {
                completions.set(t.id, (completions.get(t.id) ?? 0) + 1);
              }
            }
          }
          for (let round = 0; round < 20; round++) {
            clock.advance(LEASE_MS + 1);
            await queue.reclaimExpired();
            const batch = await queue.claim({ workerId: 'drain', limit: 100 });
            if (batch.length === 0) break;
            for (const t of batch) {
              await queue.complete({ taskId: t.id, attempt: t.attempt }, 'drain');
              completions.set(t.id, (completions.get(t.id) ?? 0) + 1);
            }
          }
          const rows = await db.query<{ id: string; state: string }>('select id, state from tasks');
          expect(rows).toHaveLength(enqueued);
          expect(rows.every((r) => ['succeeded', 'failed', 'dead'].includes(r.state))).toBe(true);
          for (const r of rows) expect(completions.get(r.id) ?? 0).toBe(r.state === 'succeeded' ? 1 : 0);
          expect(staleAccepted).toBe(0);
        }),
        {
          numRuns: driver.name === 'pglite' ? 40 : 25,
          seed: Number(process.env['PROPERTY_SEED'] ?? Date.now() % 1_000_000),
        },
      );
    }, 240_000);
  });
}
