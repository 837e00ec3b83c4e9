import type { Queryable } from './database.ts';

/**
 * How long each phase took in earlier runs: for the terminal's ETA. Read from `phases` (a passed
 * phase's started_at → completed_at), which every run writes, rather than from phase_metrics, which
 * holds one row per generation and only from the metrics migration on. The median over the most
 * recent passed runs of each phase, so one slow outlier (a cold Chromium, a loaded machine) moves
 * the estimate little.
 */

export interface PhaseDurations {
  /** Median duration of each phase, ms. */
  medianMs: Record<string, number>;
  /** How many phase runs the medians are taken from, in all. */
  samples: number;
}

/** Medians over at most `perPhase` recent passed phases of runs other than `excludeRunId`. */
export async function phaseDurationHistory(
  q: Queryable,
  options: { excludeRunId?: string; perPhase?: number } = {},
): Promise<PhaseDurations> {
  const rows = await q.query<{ phase: string; median_ms: number; n: number }>(
    `select phase_id as phase, percentile_cont(0.5) within group (order by ms) as median_ms, count(*)::int as n
       from (select p.phase_id,
                    extract(epoch from (p.completed_at - p.started_at)) * 1000 as ms,
                    row_number() over (partition by p.phase_id order by p.completed_at desc) as recent
               from phases p
              where p.status = 'passed' and p.started_at is not null and p.completed_at is not null
                and p.completed_at >= p.started_at
                and ($1::uuid is null or p.run_id <> $1::uuid)) d
      where recent <= $2
      group by phase_id`,
    [options.excludeRunId ?? null, options.perPhase ?? 20],
  );
  const medianMs: Record<string, number> = {};
  let samples = 0;
  for (const row of rows) {
    medianMs[row.phase] = Math.round(Number(row.median_ms));
    samples += Number(row.n);
  }
  return { medianMs, samples };
}
