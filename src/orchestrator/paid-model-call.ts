import { ErrorCode, isIdeaMineError } from '../core/errors.ts';
import { canonicalJson, sha256 } from '../core/ids.ts';
import type { ModelResponse } from '../llm/model.ts';
import {
  heldReservations,
  lockCurrentAttempt,
  lockTaskState,
  type ModelCallRecord,
  readModelCall,
  writeModelCall,
} from '../queue/model-call-checkpoint.ts';
import { recordStaleWrite } from '../queue/stale-attempt.ts';
import { type Fence, type TaskState, TERMINAL_STATES } from '../queue/task-queue.ts';
import type { Database, Queryable } from '../storage/database.ts';
import { BudgetAccount, type Spend } from './budget.ts';

/**
 * Pay once: a task's model call is paid for by exactly one attempt, whatever point a crash hits.
 *
 *   reserve ─► (call in flight) ─► store response + settle budget ─► task completes
 *
 * - The reservation and the record of who holds it commit together (budget.reserve's `within`).
 * - The response is stored under the call's step key in the same transaction that settles the
 *   budget, so "answered but not booked" and "booked but answer lost" cannot happen.
 * - A later attempt of the task (re-claimed after its worker died) first looks at the record: a
 *   settled call under the same step key returns its stored response without calling the model; a
 *   reservation left by an earlier attempt is released before this attempt reserves its own.
 * - Every write locks the task row and is fenced by (task id, attempt): an attempt that lost its
 *   task can neither settle nor release anything.
 */

export interface ModelCallRequest {
  /** Identity of the logical call: the same task asking the same model the same thing. */
  stepKey: string;
  fence: Fence;
  budget: BudgetAccount;
  /** What to reserve before the call (estimated tokens). */
  reserve: Spend;
}

export interface PaidModelCall<O> {
  response: ModelResponse<O>;
  /** True when an earlier attempt's stored response was returned and nothing was paid now. */
  reused: boolean;
}

const NOTHING: Spend = { tokens: 0, usd: 0 };

/** The step key of an agent task's model call: the task plus a hash of exactly what is asked of which model. */
export function modelCallKey(
  taskId: string,
  request: { model: string; system: string; prompt: string; temperature?: number; maxOutputTokens?: number },
): string {
  const asked = canonicalJson({
    model: request.model,
    system: request.system,
    prompt: request.prompt,
    temperature: request.temperature ?? null,
    maxOutputTokens: request.maxOutputTokens ?? null,
  });
  return `model:${taskId}:${sha256(asked).slice(0, 16)}`;
}

/** Calls the model through `generate` at most once per step key across all attempts of the task. */
export async function callModelOnce<O>(
  db: Database,
  call: ModelCallRequest,
  generate: () => Promise<ModelResponse<O>>,
): Promise<PaidModelCall<O>> {
  const stored = await fenced(db, call, () => db.transaction((tx) => takeOverEarlierAttempt(tx, call)));
  if (stored) return { response: stored as ModelResponse<O>, reused: true };
  await fenced(db, call, () =>
    call.budget.reserve(call.reserve, call.fence.taskId, async (tx) => {
      await lockCurrentAttempt(tx, call.fence);
      await writeModelCall(tx, call.fence, {
        state: 'reserved',
        stepKey: call.stepKey,
        reserved: call.reserve,
      });
    }),
  );
  let response: ModelResponse<O>;
  try {
    response = await generate();
  } catch (error) {
    // Nothing came back to keep: hand the reservation back (unless a later attempt already took it).
    await db
      .transaction((tx) => finish(tx, call, { state: 'released', stepKey: call.stepKey }, NOTHING))
      .catch(() => {});
    throw error;
  }
  const spent = { tokens: response.usage.inputTokens + response.usage.outputTokens, usd: response.costUsd };
  await fenced(db, call, () =>
    db.transaction((tx) =>
      finish(
        tx,
        call,
        { state: 'settled', stepKey: call.stepKey, reserved: call.reserve, spent, response },
        spent,
      ),
    ),
  );
  return { response, reused: false };
}

/**
 * Runs one of this attempt's fenced writes; when a newer attempt has the task, the rejected write is
 * counted and recorded like any other stale write (`task.stale_write`) before the error goes on.
 */
async function fenced<T>(db: Database, call: ModelCallRequest, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isIdeaMineError(error) && error.code === ErrorCode.staleAttempt)
      await recordStaleWrite(db, call.fence, 'model-call').catch(() => {});
    throw error;
  }
}

/**
 * Run by a new attempt before it reserves: returns the response an earlier attempt stored under the
 * same step key, or releases the reservation an earlier (dead) attempt still holds.
 */
async function takeOverEarlierAttempt(tx: Queryable, call: ModelCallRequest): Promise<unknown> {
  await lockCurrentAttempt(tx, call.fence);
  const prior = await readModelCall(tx, call.fence.taskId);
  if (!prior) return undefined;
  const { record } = prior;
  if (record.state === 'settled' && record.stepKey === call.stepKey) return record.response;
  if (record.state === 'reserved' && prior.attempt < call.fence.attempt) {
    await call.budget.settle(record.reserved, NOTHING, tx);
    await writeModelCall(tx, call.fence, { state: 'released', stepKey: record.stepKey });
  }
  return undefined;
}

/** Replaces this attempt's reservation with what it spent, recording the outcome; stale → rejected. */
async function finish(
  tx: Queryable,
  call: ModelCallRequest,
  outcome: ModelCallRecord,
  spent: Spend,
): Promise<void> {
  await lockCurrentAttempt(tx, call.fence);
  const held = await readModelCall(tx, call.fence.taskId);
  if (
    held?.attempt !== call.fence.attempt ||
    held.record.state !== 'reserved' ||
    held.record.stepKey !== call.stepKey
  )
    return;
  await call.budget.settle(held.record.reserved, spent, tx);
  await writeModelCall(tx, call.fence, outcome);
}

/**
 * Releases reservations whose task ended without any attempt settling them (its last attempt's
 * worker died and the lease expired into `dead`): no later attempt will come to release them.
 * Returns how many were released.
 */
export async function releaseAbandonedReservations(db: Database, runId: string): Promise<number> {
  let released = 0;
  for (const held of await heldReservations(db, runId)) {
    if (!TERMINAL_STATES.has(held.taskState as TaskState)) continue;
    const budget = new BudgetAccount(db, runId, held.phase);
    const done = await db.transaction(async (tx) => {
      const state = await lockTaskState(tx, held.taskId);
      const now = await readModelCall(tx, held.taskId);
      if (!TERMINAL_STATES.has(state as TaskState) || now?.attempt !== held.attempt) return false;
      if (now.record.state !== 'reserved') return false;
      await budget.settle(now.record.reserved, NOTHING, tx);
      const fence = { taskId: held.taskId, attempt: held.attempt };
      await writeModelCall(tx, fence, { state: 'released', stepKey: now.record.stepKey });
      return true;
    });
    if (done) released++;
  }
  return released;
}
