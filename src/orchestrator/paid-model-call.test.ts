import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, IdeaMineError } from '../core/errors.ts';
import type { ModelResponse } from '../llm/model.ts';
import { readModelCall } from '../queue/model-call-checkpoint.ts';
import { SqlTaskQueue } from '../queue/sql-task-queue.ts';
import type { ClaimedTask } from '../queue/task-queue.ts';
import type { Database } from '../storage/database.ts';
import { readEvents } from '../storage/event-store.ts';
import { openDatabase } from '../storage/open.ts';
import { insertPhases, insertRun } from '../storage/run-store.ts';
import { BudgetAccount } from './budget.ts';
import { isOrphan, reclaimOrphanedTasks } from './orphans.ts';
import { callModelOnce, modelCallKey, releaseAbandonedReservations } from './paid-model-call.ts';

/**
 * Pay once, on a real (in-memory PGlite) database and the real queue. A "crash" is an attempt that is
 * abandoned where it stands; its task is then handed back the way `resume` does it for a dead driver
 * (expire its lease, reclaim) and claimed again as the next attempt.
 */

const ANSWER: ModelResponse<{ ok: number }> = {
  output: { ok: 1 },
  usage: { inputTokens: 300, outputTokens: 200 },
  costUsd: 0.01,
  model: 'test:model',
  latencyMs: 1,
};
const RESERVE = { tokens: 2_000, usd: 0 };
const DEAD_WORKER = deadWorkerId();

let db: Database;
let queue: SqlTaskQueue;

beforeAll(async () => {
  db = await openDatabase({ driver: 'pglite' });
  queue = new SqlTaskQueue(db, { defaultLeaseMs: 600_000 });
});
afterAll(async () => db.close());

/** A run with one phase whose token budget is `tokens`, and one agent task claimed by a (soon dead) worker. */
async function setUp(tokens: number, maxAttempts = 4) {
  const runId = await insertRun(db, { idea: {}, plan: {}, planHash: 'h', budgets: { tokens } });
  await insertPhases(db, runId, [{ phase: 'prd', budgets: { tokens }, planHash: 'h' }]);
  const [phase] = await db.query<{ id: string }>('select id from phases where run_id = $1', [runId]);
  const { task } = await queue.enqueue({
    type: 'agent.run',
    runId,
    phaseRowId: phase?.id as string,
    maxAttempts,
  });
  const budget = new BudgetAccount(db, runId, 'prd');
  return { runId, taskId: task.id, budget };
}

async function claim(taskId: string, workerId = DEAD_WORKER): Promise<ClaimedTask> {
  const [claimed] = await queue.claim({ workerId, limit: 1, types: ['agent.run'] });
  expect(claimed?.id).toBe(taskId);
  return claimed as ClaimedTask;
}

/** What resume does for a dead driver: its running attempts go back to the queue now. */
async function crashAndReclaim(runId: string) {
  return reclaimOrphanedTasks({ db, queue }, runId, undefined, `${hostname()}:${process.pid}:resumer`);
}

async function used(runId: string): Promise<{ run: number; phase: number; usd: number }> {
  const [row] = await db.query<{ run: number; phase: number; usd: number }>(
    `select (r.usage ->> 'tokens')::float8 as run, (p.usage ->> 'tokens')::float8 as phase,
            (r.usage ->> 'usd')::float8 as usd
       from runs r join phases p on p.run_id = r.id where r.id = $1`,
    [runId],
  );
  return { run: row?.run ?? 0, phase: row?.phase ?? 0, usd: row?.usd ?? 0 };
}

function countingModel() {
  const calls = { n: 0 };
  const generate = async () => {
    calls.n++;
    return ANSWER;
  };
  return { calls, generate };
}

function request(task: ClaimedTask, budget: BudgetAccount) {
  return {
    stepKey: modelCallKey(task.id, { model: 'test:model', system: 's', prompt: 'p' }),
    fence: { taskId: task.id, attempt: task.attempt },
    budget,
    reserve: RESERVE,
  };
}

describe('pay once: a model call is paid by one attempt, wherever the crash lands', () => {
  it('killed after the answer was stored, before the task completed: the next attempt reuses it', async () => {
    const { runId, taskId, budget } = await setUp(100_000);
    const model = countingModel();
    const first = await claim(taskId);
    const paid = await callModelOnce(db, request(first, budget), model.generate);
    expect(paid.reused).toBe(false);
    // crash: the worker never completes the task
    expect((await crashAndReclaim(runId)).reclaimed).toBe(1);
    const second = await claim(taskId, 'live-worker');
    expect(second.attempt).toBe(2);
    const again = await callModelOnce(db, request(second, budget), model.generate);
    expect(again).toEqual({ response: ANSWER, reused: true });
    expect(model.calls.n).toBe(1);
    expect(await used(runId)).toEqual({ run: 500, phase: 500, usd: 0.01 });
  });

  it('killed with the call in flight: its reservation is released and the call is paid once, by the next attempt', async () => {
    const { runId, taskId, budget } = await setUp(100_000);
    const first = await claim(taskId);
    let answerLate: (r: ModelResponse<{ ok: number }>) => void = () => {};
    const zombie = callModelOnce(
      db,
      request(first, budget),
      () => new Promise<ModelResponse<{ ok: number }>>((resolve) => (answerLate = resolve)),
    );
    await until(async () => (await used(runId)).run === RESERVE.tokens);
    await crashAndReclaim(runId);
    const second = await claim(taskId, 'live-worker');
    const model = countingModel();
    await callModelOnce(db, request(second, budget), model.generate);
    expect(model.calls.n).toBe(1);
    expect(await used(runId)).toEqual({ run: 500, phase: 500, usd: 0.01 });
    // The first attempt's call answers after all: its settle is fenced out and books nothing.
    answerLate(ANSWER);
    await expect(zombie).rejects.toMatchObject({ code: ErrorCode.staleAttempt });
    expect(await used(runId)).toEqual({ run: 500, phase: 500, usd: 0.01 });
    expect((await readModelCall(db, taskId))?.record.state).toBe('settled');
    // ...and is counted as a stale write of the old attempt, like any other fenced-out write.
    expect(await queue.get(taskId)).toMatchObject({ staleWrites: 1 });
    const events = await readEvents(db, { runId, types: ['task.stale_write'] });
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toMatchObject({ attempt: 1, currentAttempt: 2, operation: 'model-call' });
  });

  it("a dead attempt's reservation does not count against the budget of the attempt that replaces it", async () => {
    // Room for one reservation, not two: the second attempt fits only because the first one's is released.
    const { runId, taskId, budget } = await setUp(RESERVE.tokens + 500);
    const first = await claim(taskId);
    void callModelOnce(db, request(first, budget), () => new Promise<never>(() => {}));
    await until(async () => (await used(runId)).run === RESERVE.tokens);
    await crashAndReclaim(runId);
    const second = await claim(taskId, 'live-worker');
    await callModelOnce(db, request(second, budget), countingModel().generate);
    expect(await used(runId)).toMatchObject({ run: 500, phase: 500 });
  });

  it('a failed call hands its reservation back', async () => {
    const { runId, taskId, budget } = await setUp(100_000);
    const first = await claim(taskId);
    const failing = async (): Promise<ModelResponse<{ ok: number }>> => {
      throw new IdeaMineError(ErrorCode.modelError, 'provider down');
    };
    await expect(callModelOnce(db, request(first, budget), failing)).rejects.toThrow('provider down');
    expect(await used(runId)).toMatchObject({ run: 0, phase: 0 });
    expect((await readModelCall(db, taskId))?.record.state).toBe('released');
  });

  it("a reservation whose task died on its last attempt is released at the dead driver's takeover", async () => {
    const { runId, taskId, budget } = await setUp(100_000, 1);
    const only = await claim(taskId);
    void callModelOnce(db, request(only, budget), () => new Promise<never>(() => {}));
    await until(async () => (await used(runId)).run === RESERVE.tokens);
    const { reclaimed, reservationsReleased } = await crashAndReclaim(runId);
    expect({ reclaimed, reservationsReleased }).toEqual({ reclaimed: 1, reservationsReleased: 1 });
    expect((await queue.get(taskId))?.state).toBe('dead');
    expect(await used(runId)).toMatchObject({ run: 0, phase: 0 });
    expect(await releaseAbandonedReservations(db, runId)).toBe(0);
  });
});

describe('orphans of a dead driver', () => {
  it("hands back only the dead process's attempts; a live worker keeps its task", async () => {
    const { runId, taskId } = await setUp(100_000);
    await claim(taskId);
    const other = await queue.enqueue({ type: 'agent.run', runId, idempotencyKey: `live-${runId}` });
    const live = `${hostname()}:${process.ppid}:live`;
    const [kept] = await queue.claim({ workerId: live, limit: 1, types: ['agent.run'] });
    expect(kept?.id).toBe(other.task.id);
    expect((await crashAndReclaim(runId)).reclaimed).toBe(1);
    expect((await queue.get(taskId))?.state).toBe('ready');
    expect((await queue.get(taskId))?.history.at(-1)?.outcome).toBe('lease_expired');
    expect((await queue.get(other.task.id))?.state).toBe('running');
    expect((await queue.get(other.task.id))?.leaseOwner).toBe(live);
  });

  it('on another host, only the lapsed previous driver whose attempts stopped heartbeating before its lease ran out', () => {
    const lease = (owner: string, heartbeatAt: Date) => ({
      fence: { taskId: 't', attempt: 1 },
      owner,
      heartbeatAt,
    });
    const self = `${hostname()}:${process.pid}:me`;
    const previous = { owner: 'elsewhere:42:run', leaseUntil: new Date('2030-01-01T00:00:30Z') };
    const before = new Date('2030-01-01T00:00:10Z');
    const after = new Date('2030-01-01T00:00:40Z');
    expect(isOrphan(lease('elsewhere:42:pool', before), previous, self)).toBe(true);
    expect(isOrphan(lease('elsewhere:42:pool', after), previous, self)).toBe(false); // still heartbeating
    expect(isOrphan(lease('elsewhere:43:worker', before), previous, self)).toBe(false); // another process
    expect(isOrphan(lease('elsewhere:42:pool', before), undefined, self)).toBe(false); // no lapsed driver
    expect(isOrphan(lease(`${hostname()}:${process.pid}:pool`, before), previous, self)).toBe(false);
    expect(isOrphan(lease(DEAD_WORKER, after), undefined, self)).toBe(true);
  });
});

/** A worker id on this host whose pid has surely exited (a child that already ended). */
function deadWorkerId(): string {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return `${hostname()}:${child.stdout.toString()}:dead`;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached');
}
