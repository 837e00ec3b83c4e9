import { appendLedger } from '../observability/ledger.ts';
import { invalidateActiveAssumptions } from '../storage/assumption-store.ts';
import type { Database, Queryable } from '../storage/database.ts';
import {
  type CompensationAction,
  cancelReadyTasks,
  insertCompensation,
  markCompensated,
  type NewCompensation,
  pendingCompensations,
  retractArtifacts,
} from '../storage/saga-store.ts';
import { emit } from './events.ts';

/**
 * Sagas. A step that changes shared state registers the action that undoes it (in the transaction
 * that made the change). When a phase is abandoned — its gate failed every attempt — the phase's
 * compensations run in reverse order of registration, each recorded in the ledger, and a
 * `phase.compensated` event lists them. Compensations are idempotent: each runs once.
 *
 * Built-in actions:
 * - `retract-artifacts` {artifactIds}: mark the artifacts retracted; nothing downstream reads them.
 * - `invalidate-assumptions` {assumptionIds}: the phase's assumptions no longer stand.
 * - `cancel-tasks` {taskIds}: cancel tasks the phase left queued.
 */

export type { CompensationAction };

export async function registerCompensation(tx: Queryable, c: NewCompensation): Promise<void> {
  await insertCompensation(tx, c);
}

const ids = (args: Record<string, unknown>, key: string): string[] => (args[key] as string[]) ?? [];

const ACTIONS: Record<
  CompensationAction,
  (tx: Queryable, runId: string, args: Record<string, unknown>) => Promise<number>
> = {
  'retract-artifacts': (tx, runId, args) => retractArtifacts(tx, runId, ids(args, 'artifactIds')),
  'invalidate-assumptions': (tx, runId, args) =>
    invalidateActiveAssumptions(tx, runId, ids(args, 'assumptionIds')),
  'cancel-tasks': (tx, runId, args) => cancelReadyTasks(tx, runId, ids(args, 'taskIds')),
};

/** Runs the registered, not yet run compensations of a phase in reverse order, in one transaction. */
export async function compensatePhase(
  db: Database,
  runId: string,
  phase: string,
  tx: Queryable,
): Promise<Array<{ stepKey: string; action: string; affected: number }>> {
  const pending = await pendingCompensations(tx, runId, phase);
  const done: Array<{ stepKey: string; action: string; affected: number }> = [];
  for (const compensation of pending) {
    const affected = await ACTIONS[compensation.action](tx, runId, compensation.args);
    await markCompensated(tx, compensation.id);
    await appendLedger(tx, {
      runId,
      type: 'decision',
      data: {
        decision: 'compensate',
        phase,
        stepKey: compensation.stepKey,
        action: compensation.action,
        affected,
      },
      provenance: { by: 'saga' },
    });
    done.push({ stepKey: compensation.stepKey, action: compensation.action, affected });
  }
  if (done.length > 0)
    await emit(db, { type: 'phase.compensated', runId, phase, payload: { actions: done } }, tx);
  return done;
}
