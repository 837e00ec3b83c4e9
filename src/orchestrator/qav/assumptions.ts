import { parseEventDraft } from '../../core/schemas/event.ts';
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
    const existing = await tx.query<{ id: string }>(
      `select id from assumptions
        where run_id = $1 and phase_id = $2 and assumption = $3 and status = 'active'
        order by created_at limit 1`,
      [scope.runId, scope.phase, assumption.statement],
    );
    const found = existing[0];
    if (found) {
      if (!ids.includes(found.id)) ids.push(found.id);
      continue;
    }
    const inserted = await tx.query<{ id: string }>(
      `insert into assumptions (run_id, phase_id, assumption, rationale, mitigation)
       values ($1, $2, $3, $4, $5) returning id`,
      [scope.runId, scope.phase, assumption.statement, assumption.rationale, assumption.mitigation],
    );
    const id = inserted[0]?.id;
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
