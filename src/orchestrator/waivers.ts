import { ErrorCode, IdeaMineError, invalidInput } from '../core/errors.ts';
import type { RunPlan } from '../core/schemas/run-plan.ts';
import { appendLedger } from '../observability/ledger.ts';
import type { Database } from '../storage/database.ts';
import { getRun } from '../storage/run-store.ts';
import { type GrantedWaiver, insertGrantedWaiver } from '../storage/waiver-store.ts';
import { emit } from './events.ts';

/** A waiver lasts a week unless `--expires` says otherwise: long enough to ship, short enough to revisit. */
export const DEFAULT_WAIVER_TTL_MS = 7 * 24 * 3_600_000;
/** Nobody may waive a rubric for longer than this; a longer exception is a config change, not a waiver. */
export const MAX_WAIVER_TTL_MS = 90 * 24 * 3_600_000;
const MAX_TEXT = 2_000;

export interface WaiverRequest {
  runId: string;
  phase: string;
  /** The rubric name, e.g. `test_coverage_min`. */
  rubric: string;
  reason: string;
  owner: string;
  /** How long the waiver holds from now; default DEFAULT_WAIVER_TTL_MS. */
  ttlMs?: number;
  /** The compensating control; the reason stands as one when none is named. */
  control?: string;
}

/**
 * Grants one waiver: refused (INVALID_INPUT, nothing stored) unless the run's frozen plan lists the
 * rubric among the phase's `waivers_allowed`. The row, a `decision` ledger entry and an event commit
 * together. The gate applies it on the phase's next evaluation (after `retry` and `resume` for a phase
 * that already failed) while it is active and unexpired.
 */
export async function grantWaiver(
  db: Database,
  req: WaiverRequest,
  now = new Date(),
): Promise<GrantedWaiver> {
  const reason = req.reason.trim();
  if (!reason) throw invalidInput('a waiver needs a reason (--reason <text>)');
  const control = (req.control ?? reason).trim();
  if (reason.length > MAX_TEXT || control.length > MAX_TEXT)
    throw invalidInput(`the reason and the control are at most ${MAX_TEXT} characters`);
  const owner = req.owner.trim();
  if (!owner) throw invalidInput('a waiver needs an owner');
  const ttlMs = req.ttlMs ?? DEFAULT_WAIVER_TTL_MS;
  if (!(ttlMs > 0) || ttlMs > MAX_WAIVER_TTL_MS)
    throw invalidInput(`a waiver expires after more than 0 and at most 90 days (got ${ttlMs} ms)`);

  const run = await getRun(db, req.runId);
  if (!run) throw new IdeaMineError(ErrorCode.notFound, `no run ${req.runId}`);
  const phases = (run.plan as RunPlan | null)?.phases ?? [];
  const phase = phases.find((p) => p.phase === req.phase);
  if (!phase)
    throw invalidInput(
      `run ${req.runId} has no phase "${req.phase}"; its phases are ${phases.map((p) => p.phase).join(', ')}`,
    );
  if (!phase.waiversAllowed.includes(req.rubric)) {
    const known = req.rubric in phase.rubrics ? '' : ` (phase ${req.phase} has no rubric "${req.rubric}")`;
    const allowed = phase.waiversAllowed.length ? phase.waiversAllowed.join(', ') : 'none';
    throw invalidInput(
      `rubric "${req.rubric}" of phase ${req.phase} cannot be waived${known}: the phase config's waivers_allowed lists ${allowed}`,
      { issues: [{ field: 'rubric', reason: `waivable in ${req.phase}: ${allowed}` }] },
    );
  }

  const expiresAt = new Date(now.getTime() + ttlMs);
  return db.transaction(async (tx) => {
    const waiver = await insertGrantedWaiver(tx, {
      runId: req.runId,
      phase: req.phase,
      violationType: req.rubric,
      owner,
      reason,
      compensatingControl: control,
      expiresAt,
    });
    const record = {
      waiverId: waiver.id,
      phase: req.phase,
      rubric: req.rubric,
      owner,
      reason,
      compensatingControl: control,
      expiresAt: expiresAt.toISOString(),
    };
    await appendLedger(tx, {
      runId: req.runId,
      type: 'decision',
      data: { decision: 'waiver-granted', ...record },
      provenance: { by: owner, via: 'waiver' },
    });
    await emit(db, { type: 'phase.waiver.granted', runId: req.runId, phase: req.phase, payload: record }, tx);
    return waiver;
  });
}
