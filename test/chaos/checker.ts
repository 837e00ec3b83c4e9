import { verifyLedger } from '../../src/observability/ledger.ts';
import type { Database } from '../../src/storage/database.ts';

/**
 * The chaos checker: reads a schema after the faults and says what went wrong, if anything.
 *
 * Whether a stale write was *accepted* cannot be read from the final rows (a second completion
 * overwrites the first), so `installAudit` puts triggers on the schema before the workers start:
 * every transition of a task out of `running` into a terminal state is logged with the attempt the
 * row was at and the attempt the result says produced it (diag tasks put `attempt` in their result),
 * and every checkpoint write is compared with the task's current attempt. A stale write accepted is
 * then a terminal transition whose result came from another attempt, a second terminal transition
 * of one task, or a checkpoint written for an attempt that is no longer current.
 */

export interface FaultRecord {
  kind: 'kill' | 'kill-after-effect' | 'stop' | 'blackhole' | 'clock-jump' | 'poison' | 'restart' | 'other';
  /** Epoch ms when the fault was injected (same host clock as the database). */
  at: number;
  workerId?: string;
  /** Tasks the victim held at that moment, with their attempt: these must be recovered. */
  orphans: Array<{ taskId: string; attempt: number }>;
}

export interface ChaosReport {
  tasks: number;
  byState: Record<string, number>;
  /** Never reached a terminal state (still ready or running), or expected but missing. */
  lost: number;
  lostIds: string[];
  effects: {
    rows: number;
    keys: number;
    /** Keys written with `idempotent: true` that have more than one row: must be 0. */
    duplicateKeysIdempotent: number;
    /** Keys without idempotency that have more than one row: at-least-once made visible. */
    duplicateKeysPlain: number;
    /** Extra rows of those keys: effects executed again after a crash between effect and ack. */
    reExecutionsPlain: number;
    /** Effect rows written by an attempt other than the one that completed the task (zombies, crashes). */
    byNonFinalAttempts: number;
  };
  executions: { mean: number; max: number; reattempted: number };
  staleWrites: {
    /** Rejected fenced writes counted on the tasks (stale_writes) and as task.stale_write events. */
    rejected: number;
    rejectedEvents: number;
    accepted: number;
    acceptedIds: string[];
    /** Terminal transitions whose producing attempt could be checked (the result names it). */
    verifiedTerminals: number;
    unverifiableTerminals: number;
  };
  recovery: {
    samples: number;
    p50Ms: number | null;
    p95Ms: number | null;
    maxMs: number | null;
    /** Orphans that were never declared expired (none should remain). */
    unrecovered: number;
    /** Orphans whose own attempt had already finished the task when the fault hit. */
    finishedBeforeFault: number;
  };
  timers: {
    scheduled: number;
    fired: number;
    pendingDue: number;
    /** More than one `timer.fired` event or more than one handler effect for a key: must be 0. */
    firedMoreThanOnce: number;
    effectsNotOnce: number;
    /** Fired before their due time by the database clock: must be 0. */
    early: number;
    maxLatenessMs: number | null;
  };
  ledger: { runs: number; ok: number; broken: Array<{ runId: string; reason: string }> };
}

const AUDIT_DDL = `
create table if not exists chaos_audit (
  id            bigint generated always as identity primary key,
  task_id       uuid not null,
  kind          text not null,
  new_state     text,
  row_attempt   integer,
  write_attempt integer,
  at            timestamptz not null default clock_timestamp()
);
create or replace function chaos_audit_tasks() returns trigger language plpgsql as $$
begin
  insert into chaos_audit (task_id, kind, new_state, row_attempt, write_attempt)
  values (new.id, 'terminal', new.state, old.attempt,
          case when jsonb_typeof(new.result -> 'attempt') = 'number' then (new.result ->> 'attempt')::int end);
  return new;
end $$;
create or replace trigger chaos_audit_tasks after update on tasks for each row
  when (old.state = 'running' and new.state in ('succeeded', 'failed', 'dead'))
  execute function chaos_audit_tasks();
create or replace function chaos_audit_checkpoints() returns trigger language plpgsql as $$
declare current_attempt integer; current_state text;
begin
  select attempt, state into current_attempt, current_state from tasks where id = new.task_id;
  if current_attempt is distinct from new.attempt or current_state is distinct from 'running' then
    insert into chaos_audit (task_id, kind, new_state, row_attempt, write_attempt)
    values (new.task_id, 'stale-checkpoint', current_state, current_attempt, new.attempt);
  end if;
  return new;
end $$;
create or replace trigger chaos_audit_checkpoints before insert or update on checkpoints for each row
  execute function chaos_audit_checkpoints()`;

/** Installs the audit triggers in the database's schema (call before any worker starts). */
export async function installAudit(db: Database): Promise<void> {
  await db.exec(AUDIT_DDL);
}

export interface CheckOptions {
  /** Tasks that must exist and end terminal; default: every task in the schema. */
  expectedTaskIds?: readonly string[];
  faults?: readonly FaultRecord[];
  /** Which timers to judge: one kind (default all), and only those due before an instant. */
  timers?: { kind?: string; dueBefore?: Date };
}

export async function checkChaos(db: Database, options: CheckOptions = {}): Promise<ChaosReport> {
  const tasks = await db.query<{ id: string; state: string; attempt: number; stale_writes: number }>(
    'select id, state, attempt, stale_writes from tasks',
  );
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const byState: Record<string, number> = {};
  for (const t of tasks) byState[t.state] = (byState[t.state] ?? 0) + 1;
  const expected = options.expectedTaskIds ?? tasks.map((t) => t.id);
  const lostIds = expected.filter((id) => {
    const t = byId.get(id);
    return !t || t.state === 'ready' || t.state === 'running';
  });
  const attempts = tasks.map((t) => t.attempt);
  return {
    tasks: tasks.length,
    byState,
    lost: lostIds.length,
    lostIds: lostIds.slice(0, 20),
    effects: await effectFigures(db),
    executions: {
      mean: attempts.length ? round(attempts.reduce((a, b) => a + b, 0) / attempts.length, 3) : 0,
      max: Math.max(0, ...attempts),
      reattempted: attempts.filter((a) => a > 1).length,
    },
    staleWrites: await staleWriteFigures(db, tasks),
    recovery: await recoveryFigures(db, options.faults ?? []),
    timers: await timerFigures(db, options.timers ?? {}),
    ledger: await ledgerFigures(db),
  };
}

async function tableExists(db: Database, name: string): Promise<boolean> {
  const rows = await db.query<{ t: string | null }>('select to_regclass($1)::text as t', [name]);
  return rows[0]?.t != null;
}

async function effectFigures(db: Database): Promise<ChaosReport['effects']> {
  const none = {
    rows: 0,
    keys: 0,
    duplicateKeysIdempotent: 0,
    duplicateKeysPlain: 0,
    reExecutionsPlain: 0,
    byNonFinalAttempts: 0,
  };
  if (!(await tableExists(db, 'diag_effects'))) return none;
  const rows = await db.query<{ idempotent: boolean; n: number; keys: number; dup: number; extra: number }>(
    `select idempotent, sum(n)::int as n, count(*)::int as keys,
            count(*) filter (where n > 1)::int as dup, sum(n - 1)::int as extra
       from (select idempotency_key, idempotent, count(*) as n from diag_effects group by 1, 2) k
      group by idempotent`,
  );
  const nonFinal = await db.query<{ n: number }>(
    `select count(*)::int as n from diag_effects e join tasks t on t.id = e.task_id
      where t.state = 'succeeded' and e.attempt <> t.attempt`,
  );
  const idem = rows.find((r) => r.idempotent);
  const plain = rows.find((r) => !r.idempotent);
  return {
    rows: (idem?.n ?? 0) + (plain?.n ?? 0),
    keys: (idem?.keys ?? 0) + (plain?.keys ?? 0),
    duplicateKeysIdempotent: idem?.dup ?? 0,
    duplicateKeysPlain: plain?.dup ?? 0,
    reExecutionsPlain: plain?.extra ?? 0,
    byNonFinalAttempts: nonFinal[0]?.n ?? 0,
  };
}

async function staleWriteFigures(
  db: Database,
  tasks: ReadonlyArray<{ stale_writes: number }>,
): Promise<ChaosReport['staleWrites']> {
  const rejected = tasks.reduce((n, t) => n + t.stale_writes, 0);
  const events = await db.query<{ n: number }>(
    `select count(*)::int as n from events where event_type = 'task.stale_write'`,
  );
  if (!(await tableExists(db, 'chaos_audit')))
    throw new Error('checkChaos: call installAudit(db) before the workers start');
  const audit = await db.query<{
    task_id: string;
    kind: string;
    row_attempt: number | null;
    write_attempt: number | null;
  }>('select task_id, kind, row_attempt, write_attempt from chaos_audit order by id');
  const accepted = new Set<string>();
  const terminalsPerTask = new Map<string, number>();
  let verified = 0;
  let unverifiable = 0;
  for (const a of audit) {
    if (a.kind === 'stale-checkpoint') {
      accepted.add(a.task_id);
      continue;
    }
    terminalsPerTask.set(a.task_id, (terminalsPerTask.get(a.task_id) ?? 0) + 1);
    if (a.write_attempt === null) unverifiable++;
    else {
      verified++;
      if (a.write_attempt !== a.row_attempt) accepted.add(a.task_id);
    }
  }
  for (const [taskId, n] of terminalsPerTask) if (n > 1) accepted.add(taskId);
  return {
    rejected,
    rejectedEvents: events[0]?.n ?? 0,
    accepted: accepted.size,
    acceptedIds: [...accepted].slice(0, 20),
    verifiedTerminals: verified,
    unverifiableTerminals: unverifiable,
  };
}

async function recoveryFigures(
  db: Database,
  faults: readonly FaultRecord[],
): Promise<ChaosReport['recovery']> {
  const orphans = faults.flatMap((f) => f.orphans.map((o) => ({ ...o, at: f.at })));
  const empty = { samples: 0, p50Ms: null, p95Ms: null, maxMs: null, unrecovered: 0, finishedBeforeFault: 0 };
  if (orphans.length === 0) return empty;
  const ids = [...new Set(orphans.map((o) => o.taskId))];
  // The task's own history records when each attempt was declared lost (lease expired, or taken
  // away by the supervisor as stalled), on the database clock; events have changed shape over time.
  const expired = await db.query<{ task_id: string; attempt: number; at_ms: number }>(
    `select t.id as task_id, (h ->> 'attempt')::int as attempt,
            min(extract(epoch from (h ->> 'at')::timestamptz) * 1000)::float8 as at_ms
       from tasks t cross join lateral jsonb_array_elements(t.history) h
      where t.id = any($1::uuid[]) and h ->> 'outcome' in ('lease_expired', 'stalled')
      group by 1, 2`,
    [ids],
  );
  const finished = await db.query<{ task_id: string; row_attempt: number }>(
    `select task_id, row_attempt from chaos_audit where kind = 'terminal' and task_id = any($1::uuid[])`,
    [ids],
  );
  const expiredAt = new Map(expired.map((e) => [`${e.task_id}:${e.attempt}`, e.at_ms]));
  const finishedBy = new Set(finished.map((f) => `${f.task_id}:${f.row_attempt}`));
  const samples: number[] = [];
  let unrecovered = 0;
  let finishedBeforeFault = 0;
  for (const o of orphans) {
    const key = `${o.taskId}:${o.attempt}`;
    const at = expiredAt.get(key);
    if (at !== undefined) samples.push(Math.max(0, Math.round(at - o.at)));
    else if (finishedBy.has(key)) finishedBeforeFault++;
    else unrecovered++;
  }
  return {
    samples: samples.length,
    p50Ms: percentile(samples, 0.5),
    p95Ms: percentile(samples, 0.95),
    maxMs: samples.length ? Math.max(...samples) : null,
    unrecovered,
    finishedBeforeFault,
  };
}

async function timerFigures(
  db: Database,
  scope: { kind?: string; dueBefore?: Date },
): Promise<ChaosReport['timers']> {
  const where = `($1::text is null or kind = $1) and ($2::timestamptz is null or fire_at < $2)`;
  const params = [scope.kind ?? null, scope.dueBefore?.toISOString() ?? null];
  const timers = await db.query<{
    state: string;
    n: number;
    due: number;
    early: number;
    late_ms: number | null;
  }>(
    `select state, count(*)::int as n,
            count(*) filter (where state = 'pending' and fire_at < clock_timestamp() - interval '2 seconds')::int as due,
            count(*) filter (where fired_at < fire_at)::int as early,
            max(extract(epoch from (fired_at - fire_at)) * 1000)::float8 as late_ms
       from timers where ${where} group by state`,
    params,
  );
  const firedTwice = await db.query<{ n: number }>(
    `select count(*)::int as n from (select payload ->> 'key' from events where event_type = 'timer.fired'
      and payload ->> 'key' in (select key from timers where ${where}) group by 1 having count(*) > 1) k`,
    params,
  );
  let effectsNotOnce = 0;
  if (await tableExists(db, 'chaos_timer_effects')) {
    const rows = await db.query<{ n: number }>(
      `select count(*)::int as n from timers t
        where ${where}
          and (select count(*) from chaos_timer_effects e where e.key = t.key) <> case when t.state = 'fired' then 1 else 0 end`,
      params,
    );
    effectsNotOnce = rows[0]?.n ?? 0;
  }
  const fired = timers.find((t) => t.state === 'fired');
  return {
    scheduled: timers.reduce((n, t) => n + t.n, 0),
    fired: fired?.n ?? 0,
    pendingDue: timers.reduce((n, t) => n + t.due, 0),
    firedMoreThanOnce: firedTwice[0]?.n ?? 0,
    effectsNotOnce,
    early: timers.reduce((n, t) => n + t.early, 0),
    maxLatenessMs: fired?.late_ms == null ? null : Math.round(fired.late_ms),
  };
}

async function ledgerFigures(db: Database): Promise<ChaosReport['ledger']> {
  const runs = await db.query<{ id: string }>('select id from runs order by created_at');
  const broken: Array<{ runId: string; reason: string }> = [];
  for (const r of runs) {
    const v = await verifyLedger(db, r.id);
    if (!v.ok) broken.push({ runId: r.id, reason: `${v.brokenAt?.reason} at seq ${v.brokenAt?.seq}` });
  }
  return { runs: runs.length, ok: runs.length - broken.length, broken };
}

export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? null;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The figures every chaos test prints: one flat object per test. */
export function summarize(report: ChaosReport, leaseMs?: number): Record<string, unknown> {
  return {
    tasks: report.tasks,
    byState: report.byState,
    lost: report.lost,
    duplicateEffects: report.effects.duplicateKeysIdempotent,
    atLeastOnceReExecutions: report.effects.reExecutionsPlain,
    effectsByNonFinalAttempts: report.effects.byNonFinalAttempts,
    executionsPerTask: report.executions,
    staleWritesRejected: report.staleWrites.rejected,
    staleWritesAccepted: report.staleWrites.accepted,
    recoveryP50Ms: report.recovery.p50Ms,
    recoveryP95Ms: report.recovery.p95Ms,
    recoveryMaxMs: report.recovery.maxMs,
    recoverySamples: report.recovery.samples,
    ...(leaseMs === undefined ? {} : { leaseMs }),
    timersFired: report.timers.fired,
    timersFiredMoreThanOnce: report.timers.firedMoreThanOnce,
    ledgerRuns: report.ledger.runs,
    ledgerOk: report.ledger.ok,
  };
}
