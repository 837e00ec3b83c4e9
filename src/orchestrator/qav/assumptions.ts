import { parseEventDraft } from '../../core/schemas/event.ts';
import { findActiveAssumptionId, insertAssumption } from '../../storage/assumption-store.ts';
import type { Queryable } from '../../storage/database.ts';
import { appendEvents } from '../../storage/event-store.ts';

/**
 * The write side of the assumptions registry: what the triad could not settle becomes an explicit
 * assumption with its rationale and mitigation, announced by `assumption.created`.
 *
 * `mitigation_task_id` stays null: a mitigation task needs a task type some worker can run, and none
 * exists yet; the mitigation text says what to do.
 *
 * Recording is idempotent per (run, phase, statement) while the assumption is active, so a gate
 * retry that meets the same unknown again does not duplicate it (nor its event).
 */

export interface NewAssumption {
  statement: string;
  rationale: string;
  mitigation: string;
}

export async function recordAssumptions(
  tx: Queryable,
  channel: string,
  scope: { runId: string; phase: string },
  assumptions: readonly NewAssumption[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const assumption of assumptions) {
    const found = await findActiveAssumptionId(tx, { ...scope, statement: assumption.statement });
    if (found) {
      if (!ids.includes(found)) ids.push(found);
      continue;
    }
    const id = await insertAssumption(tx, { ...scope, ...assumption });
    if (!id) continue;
    ids.push(id);
    await appendEvents(tx, channel, [
      parseEventDraft({
        type: 'assumption.created',
        runId: scope.runId,
        phase: scope.phase,
        payload: { assumptionId: id, statement: assumption.statement },
      }),
    ]);
  }
  return ids;
}
