import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers } from '../../test/support/services.ts';
import { readLedger } from '../observability/ledger.ts';
import { SqlTaskQueue } from '../queue/sql-task-queue.ts';
import { insertAssumption, listAssumptions } from '../storage/assumption-store.ts';
import type { Database } from '../storage/database.ts';
import { readEvents } from '../storage/event-store.ts';
import { getPhases, insertArtifact, insertPhases, insertRun, listArtifacts } from '../storage/run-store.ts';
import { type CompensationAction, compensatePhase, registerCompensation } from './sagas.ts';

/**
 * A phase's saga on the real database: what its steps registered is undone in reverse order, once,
 * each undo in the ledger, and nothing of another phase is touched.
 */

for (const driver of drivers) {
  describe.skipIf(!driver.available)(`sagas on ${driver.name}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await driver.open();
    });
    afterAll(async () => {
      await db?.close();
    });

    async function setUp() {
      const runId = await insertRun(db, { idea: {}, plan: {}, planHash: 'h', budgets: {} });
      await insertPhases(db, runId, [
        { phase: 'prd', budgets: {}, planHash: 'h' },
        { phase: 'bizdev', budgets: {}, planHash: 'h' },
      ]);
      const phaseRowId = (await getPhases(db, runId)).find((p) => p.phase === 'prd')?.id as string;
      const artifact = async (name: string, phase = 'prd') =>
        (
          await insertArtifact(db, {
            runId,
            phase,
            type: 'PRD',
            name,
            content: { name },
            hash: name,
            provenance: {},
            idempotencyKey: `${runId}:${name}`,
          })
        ).artifact.id;
      const queue = new SqlTaskQueue(db);
      const enqueue = async (key: string) =>
        (await queue.enqueue({ type: 'agent.run', runId, phaseRowId, idempotencyKey: `${runId}:${key}` }))
          .task.id;
      return { runId, artifact, queue, enqueue };
    }

    it('undoes the phase in reverse order, once, with a ledger entry each and one event', async () => {
      const { runId, artifact, queue, enqueue } = await setUp();
      const prd = [await artifact('prd-1'), await artifact('prd-2')];
      const other = await artifact('bizdev-1', 'bizdev');
      const assumptionId = (await insertAssumption(db, {
        runId,
        phase: 'prd',
        statement: 'Teams have at most 20 members',
        rationale: 'r',
        mitigation: 'm',
      })) as string;
      const running = await enqueue('running');
      const [claimed] = await queue.claim({ workerId: 'w', limit: 1, types: ['agent.run'] });
      expect(claimed?.id).toBe(running);
      const ready = await enqueue('ready');

      const register = (phase: string, stepKey: string, action: CompensationAction, args: object) =>
        registerCompensation(db, { runId, phase, stepKey, action, args: { ...args } });
      await register('prd', 'dispatch', 'retract-artifacts', { artifactIds: prd });
      // Registering the same step's action again (a replayed step) does not add a second one.
      await register('prd', 'dispatch', 'retract-artifacts', { artifactIds: prd });
      await register('prd', 'clarify', 'invalidate-assumptions', { assumptionIds: [assumptionId] });
      await register('prd', 'heal', 'cancel-tasks', { taskIds: [running, ready] });
      await register('bizdev', 'dispatch', 'retract-artifacts', { artifactIds: [other] });

      const done = await db.transaction((tx) => compensatePhase(db, runId, 'prd', tx));
      expect(done).toEqual([
        { stepKey: 'heal', action: 'cancel-tasks', affected: 1 },
        { stepKey: 'clarify', action: 'invalidate-assumptions', affected: 1 },
        { stepKey: 'dispatch', action: 'retract-artifacts', affected: 2 },
      ]);
      expect((await listArtifacts(db, runId)).map((a) => a.id)).toEqual([other]);
      expect((await listAssumptions(db, runId))[0]).toMatchObject({
        id: assumptionId,
        status: 'invalidated',
      });
      expect((await queue.get(ready))?.state).toBe('cancelled');
      // A claimed task is not the saga's to cancel: its worker's fenced writes decide how it ends.
      expect((await queue.get(running))?.state).toBe('running');
      const decisions = await readLedger(db, runId, { type: 'decision' });
      expect(decisions.map((e) => e.data)).toEqual(
        done.map((d) => ({ decision: 'compensate', phase: 'prd', ...d })),
      );
      const events = await readEvents(db, { runId, types: ['phase.compensated'] });
      expect(events.map((e) => e.payload)).toEqual([{ actions: done }]);

      // Each compensation runs once: a second pass finds nothing and emits nothing.
      expect(await db.transaction((tx) => compensatePhase(db, runId, 'prd', tx))).toEqual([]);
      expect(await readEvents(db, { runId, types: ['phase.compensated'] })).toHaveLength(1);
      expect(await readLedger(db, runId, { type: 'decision' })).toHaveLength(3);
    });

    it('leaves the changes in place when the transaction that compensates rolls back', async () => {
      const { runId, artifact } = await setUp();
      const id = await artifact('prd-1');
      await db.transaction((tx) =>
        registerCompensation(tx, {
          runId,
          phase: 'prd',
          stepKey: 'dispatch',
          action: 'retract-artifacts',
          args: { artifactIds: [id] },
        }),
      );
      const rolledBack = db.transaction(async (tx) => {
        await compensatePhase(db, runId, 'prd', tx);
        throw new Error('crash before commit');
      });
      await expect(rolledBack).rejects.toThrow('crash before commit');
      expect((await listArtifacts(db, runId)).map((a) => a.id)).toEqual([id]);
      const done = await db.transaction((tx) => compensatePhase(db, runId, 'prd', tx));
      expect(done).toEqual([{ stepKey: 'dispatch', action: 'retract-artifacts', affected: 1 }]);
    });
  });
}
