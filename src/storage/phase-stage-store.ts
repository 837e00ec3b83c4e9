import type { Usage } from '../core/schemas/budgets.ts';
import type { Queryable } from './database.ts';

/**
 * The two statements the PhaseCoordinator's stages issue themselves: arming a phase's timebox and
 * reading what the phase has consumed so far.
 */

export interface TimeboxTimer {
  /** Unique per phase generation: arming it again (a replayed start) changes nothing. */
  key: string;
  runId: string;
  timeboxMs: number;
  payload: { phaseRowId: string; phase: string; timebox: string };
}

/** The timebox is a durable timer: it fires once, even if this process dies and another resumes. */
export async function scheduleTimebox(tx: Queryable, timer: TimeboxTimer): Promise<void> {
  await tx.query(
    `insert into timers (key, kind, run_id, fire_at, payload)
     values ($1, 'timebox', $2, clock_timestamp() + $3 * interval '1 millisecond', $4) on conflict (key) do nothing`,
    [timer.key, timer.runId, timer.timeboxMs, JSON.stringify(timer.payload)],
  );
}

/** A phase's usage in the units of its budgets (tokens whole), zero where nothing was booked. */
export async function phaseUsage(q: Queryable, runId: string, phase: string): Promise<Usage> {
  const rows = await q.query<{ usage: Record<string, number> | null }>(
    'select usage from phases where run_id = $1 and phase_id = $2',
    [runId, phase],
  );
  const u = rows[0]?.usage ?? {};
  return {
    tokens: Math.round(u['tokens'] ?? 0),
    toolsMinutes: u['toolsMinutes'] ?? 0,
    gpuHours: u['gpuHours'] ?? 0,
    usd: u['usd'] ?? 0,
  };
}
