import type { Queryable } from './database.ts';

/**
 * Read-only queries behind the dashboard's run overview: task spans for the progress heatmap, the
 * latest evidence pack of each phase (gate readiness, Q/A/V coverage), the newest events of chosen
 * types (errors, stalls, unsticker decisions) and Knowledge Map counts. Rows stay here; callers get
 * camelCase records.
 */

/** One task's life: when it started and ended, in which phase (null for run-level system tasks). */
export interface TaskSpan {
  phase: string | null;
  state: string;
  attempt: number;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
}

/**
 * Task spans of a run in creation order, at most `limit` (a heatmap needs no more: a run of 13 phases
 * with the default parallelism has a few hundred tasks).
 */
export async function listTaskSpans(q: Queryable, runId: string, limit = 10_000): Promise<TaskSpan[]> {
  const rows = await q.query(
    `select p.phase_id, t.state, t.attempt, t.created_at, t.started_at, t.completed_at
       from tasks t left join phases p on p.id = t.phase_id
      where t.run_id = $1
      order by t.created_at, t.id limit $2`,
    [runId, limit],
  );
  return rows.map((r) => ({
    phase: (r['phase_id'] as string | null) ?? null,
    state: r['state'] as string,
    attempt: Number(r['attempt']),
    createdAt: r['created_at'] as Date,
    startedAt: (r['started_at'] as Date | null) ?? null,
    completedAt: (r['completed_at'] as Date | null) ?? null,
  }));
}

/** The evidence a phase's gate last judged. */
export interface LatestEvidence {
  id: string;
  phase: string;
  attempt: number;
  metrics: Record<string, number | boolean>;
  qavSummary: Record<string, unknown> | null;
  createdAt: Date;
}

/** The newest evidence pack of each phase of a run (a retried phase's new generation included). */
export async function latestEvidencePacks(q: Queryable, runId: string): Promise<LatestEvidence[]> {
  const rows = await q.query(
    `select distinct on (phase_id) id, phase_id, attempt, metrics, qav_summary, created_at
       from evidence_packs where run_id = $1
      order by phase_id, created_at desc, attempt desc`,
    [runId],
  );
  return rows.map((r) => ({
    id: r['id'] as string,
    phase: r['phase_id'] as string,
    attempt: Number(r['attempt']),
    metrics: (r['metrics'] as Record<string, number | boolean> | null) ?? {},
    qavSummary: (r['qav_summary'] as Record<string, unknown> | null) ?? null,
    createdAt: r['created_at'] as Date,
  }));
}

/** How many Knowledge Map frames a run has by status, and how many topics disagree. */
export interface KnowledgeMapCounts {
  frames: Record<string, number>;
  conflicts: number;
}

export async function knowledgeMapCounts(q: Queryable, runId: string): Promise<KnowledgeMapCounts> {
  const frames = await q.query<{ status: string; n: number | string }>(
    'select status, count(*) as n from kmap_frames where run_id = $1 group by status',
    [runId],
  );
  const conflicts = await q.query<{ n: number | string }>(
    'select count(*) as n from kmap_conflicts where run_id = $1',
    [runId],
  );
  return {
    frames: Object.fromEntries(frames.map((r) => [r.status, Number(r.n)])),
    conflicts: Number(conflicts[0]?.n ?? 0),
  };
}

/** How many assumptions a run recorded, by status (active, validated, invalidated). */
export async function assumptionCounts(q: Queryable, runId: string): Promise<Record<string, number>> {
  const rows = await q.query<{ status: string; n: number | string }>(
    'select status, count(*) as n from assumptions where run_id = $1 group by status',
    [runId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** A report a tool produced, without its content (the list links to the artifact itself). */
export interface ToolReportRef {
  id: string;
  phase: string;
  type: string;
  name: string;
  createdAt: Date;
}

/** The tool reports of a run (provenance source `tool`), oldest first, retracted ones left out. */
export async function listToolReports(q: Queryable, runId: string): Promise<ToolReportRef[]> {
  const rows = await q.query(
    `select id, phase_id, type, name, created_at from artifacts
      where run_id = $1 and provenance ->> 'source' = 'tool' and retracted_at is null
      order by created_at, id`,
    [runId],
  );
  return rows.map((r) => ({
    id: r['id'] as string,
    phase: r['phase_id'] as string,
    type: r['type'] as string,
    name: r['name'] as string,
    createdAt: r['created_at'] as Date,
  }));
}

/** Whether the run's release dossier has been compiled. */
export async function hasDossier(q: Queryable, runId: string): Promise<boolean> {
  const rows = await q.query('select 1 from release_dossiers where run_id = $1', [runId]);
  return rows.length > 0;
}
