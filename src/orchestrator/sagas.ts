import { appendLedger } from '../observability/ledger.ts';
import type { Database, Queryable } from '../storage/database.ts';
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

export type CompensationAction = 'retract-artifacts' | 'invalidate-assumptions' | 'cancel-tasks';

export async function registerCompensation(
  tx: Queryable,
  c: {
    runId: string;
    phase: string;
    stepKey: string;
    action: CompensationAction;
    args: Record<string, unknown>;
  },
): Promise<void> {
  await tx.query(
    `insert into compensations (run_id, phase_id, step_key, action, args) values ($1, $2, $3, $4, $5)
     on conflict (run_id, phase_id, step_key, action) do nothing`,
    [c.runId, c.phase, c.stepKey, c.action, JSON.stringify(c.args)],
  );
}

const ACTIONS: Record<
  CompensationAction,
  (tx: Queryable, runId: string, args: Record<string, unknown>) => Promise<number>
> = {
  'retract-artifacts': async (tx, runId, args) =>
    (
      await tx.query(
        `update artifacts set retracted_at = now() where run_id = $1 and id = any($2::uuid[]) and retracted_at is null returning id`,
        [runId, (args['artifactIds'] as string[]) ?? []],
      )
    ).length,
  'invalidate-assumptions': async (tx, runId, args) =>
    (
      await tx.query(
        `update assumptions set status = 'invalidated', validated_at = now() where run_id = $1 and id = any($2::uuid[]) and status = 'active' returning id`,
        [runId, (args['assumptionIds'] as string[]) ?? []],
      )
    ).length,
  'cancel-tasks': async (tx, runId, args) =>
    (
      await tx.query(
        `update tasks set state = 'cancelled', completed_at = now() where run_id = $1 and id = any($2::uuid[]) and state = 'ready' returning id`,
        [runId, (args['taskIds'] as string[]) ?? []],
      )
    ).length,
};

/** Runs the registered, not yet run compensations of a phase in reverse order, in one transaction. */
export async function compensatePhase(
  db: Database,
  runId: string,
  phase: string,
  tx: Queryable,
): Promise<Array<{ stepKey: string; action: string; affected: number }>> {
  const rows = await tx.query<{
    id: string;
    step_key: string;
    action: CompensationAction;
    args: Record<string, unknown>;
  }>(
    `select id, step_key, action, args from compensations where run_id = $1 and phase_id = $2 and state = 'registered' order by seq desc`,
    [runId, phase],
  );
  const done: Array<{ stepKey: string; action: string; affected: number }> = [];
  for (const row of rows) {
    const affected = await ACTIONS[row.action](tx, runId, row.args);
    await tx.query(`update compensations set state = 'compensated', done_at = now() where id = $1`, [row.id]);
    await appendLedger(tx, {
      runId,
      type: 'decision',
      data: { decision: 'compensate', phase, stepKey: row.step_key, action: row.action, affected },
      provenance: { by: 'saga' },
    });
    done.push({ stepKey: row.step_key, action: row.action, affected });
  }
  if (done.length > 0)
    await emit(db, { type: 'phase.compensated', runId, phase, payload: { actions: done } }, tx);
  return done;
}
