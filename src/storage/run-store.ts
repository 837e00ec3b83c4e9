import type { Queryable } from './database.ts';

/**
 * Runs, phases, artifacts, evidence packs, waivers and dossiers. Rows stay here; callers get
 * camelCase records. Writers take a `Queryable` so they can join the caller's transaction.
 */

export type RunStatus = 'pending' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled';
export type PhaseStatus = 'pending' | 'running' | 'paused' | 'passed' | 'failed' | 'cancelled' | 'skipped';

export interface RunRecord {
  id: string;
  idea: Record<string, unknown>;
  status: RunStatus;
  plan: unknown;
  planHash: string | null;
  budgets: Record<string, number>;
  usage: Record<string, number>;
  signal: 'pause' | 'cancel' | null;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  error: Record<string, unknown> | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
}

export interface PhaseRecord {
  id: string;
  runId: string;
  phase: string;
  status: PhaseStatus;
  stage: string | null;
  gateAttempts: number;
  generation: number;
  budgets: Record<string, number>;
  usage: Record<string, number>;
  evidencePackId: string | null;
  signal: 'pause' | 'cancel' | 'retry' | 'timebox' | null;
  error: Record<string, unknown> | null;
  startedAt: Date | null;
  completedAt: Date | null;
}

export interface ArtifactRecord {
  id: string;
  runId: string;
  phase: string;
  type: string;
  name: string;
  content: unknown;
  hash: string;
  provenance: Record<string, unknown>;
  createdAt: Date;
}

type R = Record<string, unknown>;

const RUN_COLUMNS =
  'id, idea, status, plan, plan_hash, budgets, usage, signal, lease_owner, lease_until, error, created_at, started_at, completed_at';
const PHASE_COLUMNS =
  'id, run_id, phase_id, status, stage, gate_attempts, generation, budgets, usage, evidence_pack_id, signal, error, started_at, completed_at';

function toRun(r: R): RunRecord {
  return {
    id: r['id'] as string,
    idea: r['idea'] as Record<string, unknown>,
    status: r['status'] as RunStatus,
    plan: r['plan'],
    planHash: (r['plan_hash'] as string | null) ?? null,
    budgets: r['budgets'] as Record<string, number>,
    usage: r['usage'] as Record<string, number>,
    signal: (r['signal'] as RunRecord['signal']) ?? null,
    leaseOwner: (r['lease_owner'] as string | null) ?? null,
    leaseUntil: (r['lease_until'] as Date | null) ?? null,
    error: (r['error'] as Record<string, unknown> | null) ?? null,
    createdAt: r['created_at'] as Date,
    startedAt: (r['started_at'] as Date | null) ?? null,
    completedAt: (r['completed_at'] as Date | null) ?? null,
  };
}

function toPhase(r: R): PhaseRecord {
  return {
    id: r['id'] as string,
    runId: r['run_id'] as string,
    phase: r['phase_id'] as string,
    status: r['status'] as PhaseStatus,
    stage: (r['stage'] as string | null) ?? null,
    gateAttempts: r['gate_attempts'] as number,
    generation: r['generation'] as number,
    budgets: r['budgets'] as Record<string, number>,
    usage: r['usage'] as Record<string, number>,
    evidencePackId: (r['evidence_pack_id'] as string | null) ?? null,
    signal: (r['signal'] as PhaseRecord['signal']) ?? null,
    error: (r['error'] as Record<string, unknown> | null) ?? null,
    startedAt: (r['started_at'] as Date | null) ?? null,
    completedAt: (r['completed_at'] as Date | null) ?? null,
  };
}

/** An artifacts row (its columns by their SQL names) as a record; other storage modules map rows with it too. */
export function toArtifact(r: R): ArtifactRecord {
  return {
    id: r['id'] as string,
    runId: r['run_id'] as string,
    phase: r['phase_id'] as string,
    type: r['type'] as string,
    name: r['name'] as string,
    content: r['content'],
    hash: r['hash'] as string,
    provenance: r['provenance'] as Record<string, unknown>,
    createdAt: r['created_at'] as Date,
  };
}

export async function insertRun(
  q: Queryable,
  run: { idea: unknown; plan: unknown; planHash: string; budgets: unknown },
): Promise<string> {
  const rows = await q.query<{ id: string }>(
    'insert into runs (idea, plan, plan_hash, budgets) values ($1, $2, $3, $4) returning id',
    [JSON.stringify(run.idea), JSON.stringify(run.plan), run.planHash, JSON.stringify(run.budgets)],
  );
  return (rows[0] as { id: string }).id;
}

export async function setRunPlan(
  q: Queryable,
  runId: string,
  plan: unknown,
  planHash: string,
): Promise<void> {
  await q.query('update runs set plan = $2, plan_hash = $3, updated_at = now() where id = $1', [
    runId,
    JSON.stringify(plan),
    planHash,
  ]);
}

export async function insertPhases(
  q: Queryable,
  runId: string,
  phases: ReadonlyArray<{ phase: string; budgets: unknown; planHash: string }>,
): Promise<void> {
  await q.query(
    `insert into phases (run_id, phase_id, budgets, plan_hash)
     select $1, p.phase, p.budgets, p.plan_hash from jsonb_to_recordset($2::jsonb) as p(phase text, budgets jsonb, plan_hash text)`,
    [
      runId,
      JSON.stringify(phases.map((p) => ({ phase: p.phase, budgets: p.budgets, plan_hash: p.planHash }))),
    ],
  );
}

export async function getRun(q: Queryable, runId: string): Promise<RunRecord | undefined> {
  const rows = await q.query(`select ${RUN_COLUMNS} from runs where id = $1`, [runId]);
  return rows[0] ? toRun(rows[0]) : undefined;
}

export async function listRuns(q: Queryable, limit = 20): Promise<RunRecord[]> {
  const rows = await q.query(`select ${RUN_COLUMNS} from runs order by created_at desc limit $1`, [limit]);
  return rows.map(toRun);
}

/** Finds a run by full id or unique id prefix (as shown in `ideamine runs`). */
export async function findRunId(q: Queryable, idOrPrefix: string): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `select id from runs where id::text like $1 || '%' order by created_at desc limit 2`,
    [idOrPrefix.toLowerCase()],
  );
  return rows.map((r) => r.id);
}

export async function updateRun(
  q: Queryable,
  runId: string,
  fields: {
    status?: RunStatus;
    signal?: RunRecord['signal'];
    error?: unknown;
    started?: boolean;
    completed?: boolean;
  },
): Promise<void> {
  await q.query(
    `update runs set status = coalesce($2, status),
            signal = case when $3::boolean then $4 else signal end,
            error = case when $5::boolean then $6::jsonb else error end,
            started_at = case when $7::boolean then coalesce(started_at, now()) else started_at end,
            completed_at = case when $8::boolean then now() else completed_at end,
            updated_at = now()
      where id = $1`,
    [
      runId,
      fields.status ?? null,
      'signal' in fields,
      fields.signal ?? null,
      'error' in fields,
      fields.error === undefined ? null : JSON.stringify(fields.error),
      fields.started ?? false,
      fields.completed ?? false,
    ],
  );
}

export async function getPhases(q: Queryable, runId: string): Promise<PhaseRecord[]> {
  const rows = await q.query(
    `select ${PHASE_COLUMNS} from phases where run_id = $1 order by created_at, phase_id`,
    [runId],
  );
  return rows.map(toPhase);
}

export async function updatePhase(
  q: Queryable,
  runId: string,
  phase: string,
  fields: {
    status?: PhaseStatus;
    stage?: string;
    gateAttempts?: number;
    evidencePackId?: string;
    error?: unknown;
    signal?: PhaseRecord['signal'];
    started?: boolean;
    completed?: boolean;
  },
): Promise<void> {
  await q.query(
    `update phases set status = coalesce($3, status), stage = coalesce($4, stage),
            gate_attempts = coalesce($5, gate_attempts), evidence_pack_id = coalesce($6::uuid, evidence_pack_id),
            error = case when $7::boolean then $8::jsonb else error end,
            signal = case when $9::boolean then $10 else signal end,
            started_at = case when $11::boolean then coalesce(started_at, now()) else started_at end,
            completed_at = case when $12::boolean then now() else completed_at end,
            updated_at = now()
      where run_id = $1 and phase_id = $2`,
    [
      runId,
      phase,
      fields.status ?? null,
      fields.stage ?? null,
      fields.gateAttempts ?? null,
      fields.evidencePackId ?? null,
      'error' in fields,
      fields.error === undefined ? null : JSON.stringify(fields.error),
      'signal' in fields,
      fields.signal ?? null,
      fields.started ?? false,
      fields.completed ?? false,
    ],
  );
}

export interface NewArtifact {
  runId: string;
  phase: string;
  type: string;
  name: string;
  content: unknown;
  hash: string;
  provenance: unknown;
  /** Inserting the same key again returns the stored artifact (resume after a crash). */
  idempotencyKey: string;
  taskId?: string;
}

const ARTIFACT_COLUMNS = 'id, run_id, phase_id, type, name, content, hash, provenance, created_at';

export async function insertArtifact(
  q: Queryable,
  a: NewArtifact,
): Promise<{ artifact: ArtifactRecord; created: boolean }> {
  const rows = await q.query(
    `insert into artifacts (run_id, phase_id, type, name, content, hash, provenance, idempotency_key, task_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     on conflict (idempotency_key) do nothing
     returning ${ARTIFACT_COLUMNS}`,
    [
      a.runId,
      a.phase,
      a.type,
      a.name,
      JSON.stringify(a.content),
      a.hash,
      JSON.stringify(a.provenance),
      a.idempotencyKey,
      a.taskId ?? null,
    ],
  );
  if (rows[0]) return { artifact: toArtifact(rows[0]), created: true };
  const existing = await q.query(`select ${ARTIFACT_COLUMNS} from artifacts where idempotency_key = $1`, [
    a.idempotencyKey,
  ]);
  return { artifact: toArtifact(existing[0] as R), created: false };
}

export async function listArtifacts(
  q: Queryable,
  runId: string,
  filter: { phase?: string; ids?: readonly string[] } = {},
): Promise<ArtifactRecord[]> {
  const rows = await q.query(
    `select ${ARTIFACT_COLUMNS} from artifacts
      where run_id = $1 and ($2::text is null or phase_id = $2) and ($3::uuid[] is null or id = any($3))
        and retracted_at is null
      order by created_at, id`,
    [runId, filter.phase ?? null, filter.ids ?? null],
  );
  return rows.map(toArtifact);
}

export async function insertEvidencePack(
  q: Queryable,
  pack: {
    runId: string;
    phase: string;
    attempt: number;
    artifacts: unknown;
    guardReports: unknown;
    qavSummary: unknown;
    kmapRefs: unknown;
    metrics: unknown;
  },
): Promise<string> {
  const rows = await q.query<{ id: string }>(
    `insert into evidence_packs (run_id, phase_id, attempt, artifacts, guard_reports, qav_summary, kmap_refs, metrics)
     values ($1, $2, $3, $4, $5, $6, $7, $8)
     on conflict (run_id, phase_id, attempt) do update set metrics = excluded.metrics returning id`,
    [
      pack.runId,
      pack.phase,
      pack.attempt,
      JSON.stringify(pack.artifacts),
      JSON.stringify(pack.guardReports),
      JSON.stringify(pack.qavSummary),
      JSON.stringify(pack.kmapRefs),
      JSON.stringify(pack.metrics),
    ],
  );
  return (rows[0] as { id: string }).id;
}

export interface WaiverRecord {
  id: string;
  phase: string;
  violationType: string;
  owner: string;
  expiresAt: Date;
  compensatingControl: string;
}

export async function activeWaivers(q: Queryable, runId: string, phase: string): Promise<WaiverRecord[]> {
  const rows = await q.query(
    `select id, phase, violation_type, owner, expires_at, compensating_control from waivers
      where run_id = $1 and phase = $2 and status = 'active'`,
    [runId, phase],
  );
  return rows.map((r) => ({
    id: r['id'] as string,
    phase: r['phase'] as string,
    violationType: r['violation_type'] as string,
    owner: r['owner'] as string,
    expiresAt: r['expires_at'] as Date,
    compensatingControl: r['compensating_control'] as string,
  }));
}

export async function saveDossier(
  q: Queryable,
  runId: string,
  version: string,
  content: unknown,
): Promise<string> {
  const rows = await q.query<{ id: string }>(
    `insert into release_dossiers (run_id, version, content) values ($1, $2, $3)
     on conflict (run_id) do update set version = excluded.version, content = excluded.content returning id`,
    [runId, version, JSON.stringify(content)],
  );
  return (rows[0] as { id: string }).id;
}

export async function getDossier(
  q: Queryable,
  runId: string,
): Promise<{ id: string; version: string; content: unknown } | undefined> {
  const rows = await q.query<{ id: string; version: string; content: unknown }>(
    'select id, version, content from release_dossiers where run_id = $1',
    [runId],
  );
  return rows[0];
}

/**
 * Operator retry. Without `phases`: every failed or cancelled phase goes back to pending in a new
 * generation. With `phases` (a named phase and the phases downstream of it): those phases start over
 * whatever they ended as — a passed phase too, so that a workspace changed by hand gets a fresh verdict.
 * Either way the run may be driven again.
 */
export async function retryPhases(
  q: Queryable,
  runId: string,
  phases?: readonly string[],
): Promise<string[]> {
  const rows = await q.query<{ phase_id: string }>(
    `update phases set status = 'pending', generation = generation + 1, gate_attempts = 0, error = null, signal = null,
            completed_at = null, stage = null, updated_at = now()
      where run_id = $1
        and (case when $2::text[] is null then status in ('failed', 'cancelled')
                  else phase_id = any($2::text[]) and status <> 'pending' end)
      returning phase_id`,
    [runId, phases ? [...phases] : null],
  );
  if (rows.length > 0) {
    await q.query(
      `update runs set status = 'paused', error = null, signal = null, completed_at = null, updated_at = now() where id = $1`,
      [runId],
    );
  }
  return rows.map((r) => r.phase_id);
}

/**
 * What an agent's input is made of, in one statement: the run's idea and, of the phases other than
 * `exceptPhase`, the artifacts of each phase's last gate attempt whose type is one of `types`
 * (retracted ones excluded), in storage order (created_at, id). Undefined when the run does not exist.
 * A phase's last attempt is taken over all its artifacts, whatever their type, as
 * agent-task.ts `latestArtifacts` does. A gateAttempt that is not a JSON number counts as 1.
 */
export async function readAgentInputSource(
  q: Queryable,
  runId: string,
  exceptPhase: string,
  types: readonly string[],
): Promise<{ idea: Record<string, unknown>; artifacts: ArtifactRecord[] } | undefined> {
  const rows = await q.query(
    `with upstream as (
       select ${ARTIFACT_COLUMNS},
              case jsonb_typeof(provenance -> 'gateAttempt') when 'number' then (provenance ->> 'gateAttempt')::numeric
                   else 1 end as attempt
         from artifacts
        where run_id = $1 and phase_id <> $2 and retracted_at is null),
     latest as (select phase_id, max(attempt) as attempt from upstream group by phase_id)
     select r.idea, a.*
       from runs r
       left join (select u.* from upstream u join latest l using (phase_id, attempt) where u.type = any($3::text[])) as a
         on true
      where r.id = $1
      order by a.created_at, a.id`,
    [runId, exceptPhase, [...types]],
  );
  const first = rows[0];
  if (!first) return undefined;
  return {
    idea: first['idea'] as Record<string, unknown>,
    artifacts: rows.filter((r) => r['id'] != null).map(toArtifact),
  };
}

/** The phase name of a phases row (the queue refers to phases by row id). */
export async function phaseNameOfRow(q: Queryable, phaseRowId: string): Promise<string | null> {
  const rows = await q.query<{ phase_id: string }>('select phase_id from phases where id = $1', [phaseRowId]);
  return rows[0]?.phase_id ?? null;
}
