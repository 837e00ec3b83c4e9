import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectValidEvents } from '../../test/support/events.ts';
import { readLedger } from '../observability/ledger.ts';
import { SqlTaskQueue } from '../queue/sql-task-queue.ts';
import type { Database } from '../storage/database.ts';
import { readEvents } from '../storage/event-store.ts';
import { openDatabase } from '../storage/open.ts';
import { Supervisor } from './supervisor.ts';
import { classifyStall, isLooping, nextRung } from './unsticker.ts';
import { type TaskHandler, WorkerPool } from './worker-pool.ts';

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('unsticker ladder (pure)', () => {
  const agent = { isAgent: true, hasAlternateTool: false, hasFallbackModel: false };
  it('climbs rung by rung, skipping what cannot apply, and explains why', () => {
    const first = nextRung(0, 'no-progress', agent);
    expect(first.strategy).toBe('smaller-batch');
    const second = nextRung(1, 'no-progress', agent);
    expect(second.strategy).toBe('stricter-prompt');
    expect(second.skipped.map((s) => s.strategy)).toEqual(['fallback-tool', 'fallback-model']);
    expect(second.explanation).toMatch(/no alternate tool is available/);
    expect(nextRung(1, 'loop', { ...agent, hasAlternateTool: true }).strategy).toBe('fallback-tool');
    expect(nextRung(5, 'no-heartbeat', agent).strategy).toBe('self-execution');
    expect(nextRung(6, 'no-heartbeat', agent).strategy).toBe('escalate');
    expect(nextRung(0, 'no-heartbeat', { ...agent, isAgent: false }).strategy).toBe('reclaim');
    expect(nextRung(2, 'no-heartbeat', { ...agent, isAgent: false }).strategy).toBe('escalate');
  });

  it('tells a loop from a task that merely did not move', () => {
    expect(isLooping(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b'])).toBe(true);
    expect(isLooping(['a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'])).toBe(false);
    expect(isLooping(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'])).toBe(false);
    const now = new Date('2026-01-01T00:00:10Z');
    const base = {
      fence: { taskId: 't', attempt: 1 },
      type: 'x',
      runId: null,
      phaseRowId: null,
      input: {},
      stallAfterMs: 1_000,
      progress: null,
      progressTrail: [],
      unstickRung: 0,
      control: null,
      controlAt: null,
      now,
    };
    expect(classifyStall({ ...base, heartbeatAt: new Date('2026-01-01T00:00:08Z'), progressAt: now })).toBe(
      'no-heartbeat',
    );
    expect(classifyStall({ ...base, heartbeatAt: now, progressAt: new Date('2026-01-01T00:00:07Z') })).toBe(
      'no-progress',
    );
    expect(classifyStall({ ...base, heartbeatAt: now, progressAt: now })).toBeUndefined();
  });
});

describe('Supervisor (PGlite, real time)', () => {
  let db: Database;
  let queue: SqlTaskQueue;
  let pool: WorkerPool | undefined;
  let supervisor: Supervisor;

  beforeEach(async () => {
    db = await openDatabase({ driver: 'pglite' });
    queue = new SqlTaskQueue(db, { defaultLeaseMs: 30_000 });
    supervisor = new Supervisor({ db, queue, intervalMs: 100 });
  });
  afterEach(async () => {
    await supervisor.stop();
    await pool?.stop({ graceMs: 0 });
    await db.close();
  });

  it('detects a task that heartbeats forever without progress, checkpoints it, and unsticks it', async () => {
    const attempts: Array<{ attempt: number; checkpoint: unknown; unstick: unknown }> = [];
    const handler: TaskHandler = async (ctx) => {
      attempts.push({
        attempt: ctx.task.attempt,
        checkpoint: ctx.checkpoint?.data ?? null,
        unstick: (ctx.task.input as Record<string, unknown>)['unstick'] ?? null,
      });
      if (ctx.task.attempt > 1) return { done: true };
      ctx.progress({ pct: 30, note: 'thinking' });
      ctx.onCheckpointRequest(() => void ctx.saveCheckpoint('stuck-at-30', { pct: 30 }).catch(() => {}));
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)); // spins until taken away
      throw new Error('aborted');
    };
    pool = new WorkerPool({
      queue,
      handlers: new Map([['agent.run', handler]]),
      concurrency: 1,
      heartbeatMs: 100,
      pollMaxMs: 100,
    });
    const { task } = await queue.enqueue({ type: 'agent.run', input: { agentId: 'x' }, stallAfterMs: 400 });
    await pool.start();
    supervisor.start();
    await until(async () => (await queue.get(task.id))?.state === 'succeeded');
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
    expect(attempts[1]?.checkpoint).toEqual({ pct: 30 }); // checkpoint taken before the task was taken away
    expect(attempts[1]?.unstick).toMatchObject({ strategy: 'smaller-batch', reason: 'no-progress' });
    const events = await readEvents(db);
    const types = events.map((e) => e.type);
    expect(types.indexOf('phase.stalled')).toBeGreaterThanOrEqual(0);
    expect(types.indexOf('task.retry')).toBeGreaterThan(types.indexOf('phase.stalled'));
    expect(events.find((e) => e.type === 'phase.stalled')?.payload).toMatchObject({
      reason: 'no-progress',
      strategy: 'smaller-batch',
    });
    expectValidEvents(events);
    const history = (await queue.get(task.id))?.history ?? [];
    expect(history).toEqual([expect.objectContaining({ outcome: 'stalled', strategy: 'smaller-batch' })]);
  }, 30_000);

  it('detects a loop (progress cycling through the same states)', async () => {
    const handler: TaskHandler = async (ctx) => {
      if (ctx.task.attempt > 1) return 'ok';
      let flip = false;
      while (!ctx.signal.aborted) {
        flip = !flip;
        ctx.progress({ pct: 50, note: flip ? 'call tool A' : 'call tool B' });
        await new Promise((r) => setTimeout(r, 60));
      }
      throw new Error('aborted');
    };
    pool = new WorkerPool({
      queue,
      handlers: new Map([['agent.run', handler]]),
      concurrency: 1,
      heartbeatMs: 60,
      pollMaxMs: 100,
    });
    const { task } = await queue.enqueue({ type: 'agent.run', input: {}, stallAfterMs: 5_000 });
    await pool.start();
    supervisor.start();
    await until(async () => (await queue.get(task.id))?.state === 'succeeded', 25_000);
    expect(supervisor.decisions[0]).toMatchObject({ reason: 'loop', taskId: task.id });
  }, 30_000);

  it('reclaims a task whose worker stopped heartbeating long before its lease ends, and records the decision', async () => {
    await db.query(`insert into runs (id, idea) values ('00000000-0000-4000-8000-0000000000aa', '{}')`);
    const { task } = await queue.enqueue({
      type: 'diag.sleep',
      input: { ms: 10 },
      stallAfterMs: 300,
      leaseMs: 60_000,
      runId: '00000000-0000-4000-8000-0000000000aa',
    });
    await queue.claim({ workerId: 'frozen', limit: 1 }); // a worker that claims and then never heartbeats
    await new Promise((r) => setTimeout(r, 400));
    const decisions = await supervisor.tick();
    expect(decisions).toEqual([
      expect.objectContaining({ taskId: task.id, reason: 'no-heartbeat', strategy: 'reclaim' }),
    ]);
    expect((await queue.get(task.id))?.state).toBe('ready');
    const ledger = await readLedger(db, '00000000-0000-4000-8000-0000000000aa', { type: 'decision' });
    expect(ledger[0]?.data).toMatchObject({
      decision: 'unstick',
      strategy: 'reclaim',
      reason: 'no-heartbeat',
    });
    expect(String(ledger[0]?.data['explanation'])).toMatch(/no heartbeat/);
  });
});
