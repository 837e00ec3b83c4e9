import type { Queryable } from './database.ts';
import type { RunLeaseFence } from './run-lease-store.ts';

/**
 * The `step_results` table (invariant 9): a durable step's result under (scope, position). The
 * StepRunner in `src/engine/steps.ts` owns the replay rules; this module reads and writes the rows.
 */

export interface RecordedStep {
  key: string;
  /** The step's result; undefined when it returned nothing. */
  value: unknown;
}

export interface StepResult {
  scope: string;
  position: number;
  key: string;
  value: unknown;
}

export async function findStepResult(
  q: Queryable,
  scope: string,
  position: number,
): Promise<RecordedStep | undefined> {
  const rows = await q.query<{ key: string; output: { value: unknown } | null }>(
    'select key, output from step_results where scope = $1 and position = $2',
    [scope, position],
  );
  const row = rows[0];
  return row ? { key: row.key, value: row.output?.value ?? undefined } : undefined;
}

/**
 * Records a step's result once. With a fence, only while the fence still holds the run lease, checked
 * in the same statement so a lease taken in between cannot slip through. False when nothing was
 * recorded: the position was already taken, or the fence lost the lease.
 */
export async function recordStepResult(
  q: Queryable,
  step: StepResult,
  fence: RunLeaseFence | undefined,
): Promise<boolean> {
  // Stored wrapped as {value}, so a step that returned null or nothing still has a JSON object.
  const output = JSON.stringify({ value: step.value === undefined ? null : step.value });
  const rows = fence
    ? await q.query(
        `insert into step_results (scope, position, key, output)
         select $1, $2, $3, $4 where exists (
           select 1 from runs where id = $5 and lease_owner = $6 and lease_epoch = $7)
         on conflict (scope, position) do nothing returning position`,
        [step.scope, step.position, step.key, output, fence.runId, fence.owner, fence.epoch],
      )
    : await q.query(
        `insert into step_results (scope, position, key, output) values ($1, $2, $3, $4)
         on conflict (scope, position) do nothing returning position`,
        [step.scope, step.position, step.key, output],
      );
  return rows.length > 0;
}
