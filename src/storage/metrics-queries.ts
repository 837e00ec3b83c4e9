import type { Queryable } from './database.ts';

/**
 * Reads behind the Prometheus collectors that describe the whole system rather than one process:
 * run at scrape time, so every process's `/metrics` reports the same stored truth.
 */

export interface GateOutcomeCount {
  phase: string;
  outcome: 'passed' | 'failed';
  count: number;
}

/** Gate verdicts so far, per phase and outcome (from the ledger's gate entries; `ledger_type` index). */
export async function gateOutcomeCounts(q: Queryable): Promise<GateOutcomeCount[]> {
  const rows = await q.query<{ phase: string; pass: boolean; n: number }>(
    `select data ->> 'phase' as phase, coalesce((data ->> 'pass')::boolean, false) as pass, count(*)::int as n
       from ledger where type = 'gate' group by 1, 2 order by 1, 2`,
  );
  return rows.map((r) => ({ phase: r.phase, outcome: r.pass ? 'passed' : 'failed', count: r.n }));
}

/** The budgeted resources a run's usage is counted in (see core/schemas/budgets.ts). */
export type BudgetResource = 'tokens' | 'usd' | 'toolsMinutes';

export interface BudgetLeft {
  runId: string;
  resource: BudgetResource;
  budget: number;
  used: number;
}

/** Budget and usage of every unfinished run, for each resource that has a budget. */
export async function unfinishedRunBudgets(q: Queryable): Promise<BudgetLeft[]> {
  const rows = await q.query<{ id: string; resource: BudgetResource; budget: number; used: number }>(
    `select r.id, k.resource, (r.budgets ->> k.resource)::float8 as budget,
            coalesce((r.usage ->> k.resource)::float8, 0) as used
       from runs r cross join (values ('tokens'), ('usd'), ('toolsMinutes')) as k(resource)
      where r.status in ('pending', 'running', 'paused') and r.budgets ->> k.resource is not null
      order by r.created_at, k.resource`,
  );
  return rows.map((r) => ({ runId: r.id, resource: r.resource, budget: r.budget, used: r.used }));
}
