import type { Database, Queryable } from './database.ts';

/**
 * The `diag_effects` table: where the `diag.effect` diagnostic task (`src/engine/diag-effect.ts`) lands
 * its side effect, one row per execution, so the chaos suite can count re-executions. It is a
 * diagnostic, not part of the schema, so there is no migration: the table is created on first use.
 */

export interface EffectRecord {
  taskId: string;
  attempt: number;
  idempotencyKey: string;
  idempotent: boolean;
}

export interface EffectOutcome {
  effect: 'applied' | 'skipped';
  /** Effect rows of this key written before this one (by earlier executions). */
  earlier: number;
}

const EFFECTS_DDL = `
create table if not exists diag_effects (
  task_id          uuid not null,
  attempt          integer not null,
  idempotency_key  text not null,
  idempotent       boolean not null default false,
  pid              integer,
  at               timestamptz not null default now()
);
create unique index if not exists diag_effects_once on diag_effects (idempotency_key) where idempotent`;

/**
 * Creates `diag_effects` if missing (tests call it before watching the table). Concurrent creators
 * serialise on an advisory lock because `create table if not exists` alone races on the catalog.
 */
export async function ensureDiagEffectsTable(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock(hashtext(current_schema() || '.diag_effects'))");
    for (const statement of EFFECTS_DDL.split(';')) await tx.query(statement);
  });
}

/**
 * Writes one effect row, stamped with this process's pid. An idempotent effect whose key is already
 * there is skipped (`on conflict … do nothing`); a non-idempotent one always adds a row. Either way the
 * rows of the key written before this one are counted in the same statement.
 */
export async function insertDiagEffect(q: Queryable, effect: EffectRecord): Promise<EffectOutcome> {
  const rows = await q.query<{ applied: boolean; earlier: number }>(
    `with earlier as (select count(*)::int as n from diag_effects where idempotency_key = $3),
          applied as (
            insert into diag_effects (task_id, attempt, idempotency_key, idempotent, pid)
            values ($1, $2, $3, $4, $5)
            on conflict (idempotency_key) where idempotent do nothing
            returning 1)
     select exists (select 1 from applied) as applied, (select n from earlier) as earlier`,
    [effect.taskId, effect.attempt, effect.idempotencyKey, effect.idempotent, process.pid],
  );
  const row = rows[0];
  return { effect: row?.applied ? 'applied' : 'skipped', earlier: row?.earlier ?? 0 };
}
