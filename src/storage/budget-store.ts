import type { Queryable } from './database.ts';

/**
 * The `usage` and `budgets` JSON columns of `phases` and `runs`: one account per phase and per run,
 * in the database so that every process sees the same one. The checks happen inside the UPDATE, so
 * two processes reserving at once cannot both pass a check that only one of them fits (the row lock
 * serialises them). orchestrator/budget.ts (BudgetAccount) decides what to reserve and settle.
 */

/** Which account: a phase of a run, or the run itself. */
export type BudgetScope = { kind: 'phase'; runId: string; phase: string } | { kind: 'run'; runId: string };

export interface TokenSpend {
  tokens: number;
  usd: number;
}

/** An account's consumption and limits; keys are camelCase resources (`tokens`, `usd`, `toolsMinutes`). */
export interface BudgetAccountState {
  usage: Record<string, number>;
  budgets: Record<string, number>;
}

/** The account's row: its table and a WHERE whose key placeholders start at `$first`. */
function target(scope: BudgetScope, first: number): { table: string; where: string; keys: unknown[] } {
  return scope.kind === 'phase'
    ? {
        table: 'phases',
        where: `run_id = $${first} and phase_id = $${first + 1}`,
        keys: [scope.runId, scope.phase],
      }
    : { table: 'runs', where: `id = $${first}`, keys: [scope.runId] };
}

// Adds $1 tokens and $2 USD to a `usage` JSON column.
const ADD_SPEND = `jsonb_set(jsonb_set(coalesce(usage, '{}'::jsonb),
    '{tokens}', to_jsonb(coalesce((usage ->> 'tokens')::float8, 0) + $1)),
    '{usd}', to_jsonb(coalesce((usage ->> 'usd')::float8, 0) + $2))`;
// True when adding the spend keeps both resources within `budgets` (a missing budget is unlimited).
const WITHIN_BUDGET = `(budgets ->> 'tokens' is null or coalesce((usage ->> 'tokens')::float8, 0) + $1 <= (budgets ->> 'tokens')::float8)
    and (budgets ->> 'usd' is null or coalesce((usage ->> 'usd')::float8, 0) + $2 <= (budgets ->> 'usd')::float8)`;
// Adds $1 minutes to the `toolsMinutes` of a `usage` JSON column.
const ADD_TOOL_MINUTES = `jsonb_set(coalesce(usage, '{}'::jsonb), '{toolsMinutes}',
      to_jsonb(coalesce((usage ->> 'toolsMinutes')::float8, 0) + $1))`;

/**
 * Adds `spend` (may be negative) to the account's usage. With `withinBudget`, only if the result stays
 * within the account's token and USD budgets. Returns whether the account was changed (false: over
 * budget, or no such phase/run).
 */
export async function addSpend(
  q: Queryable,
  scope: BudgetScope,
  spend: TokenSpend,
  options: { withinBudget: boolean },
): Promise<boolean> {
  const { table, where, keys } = target(scope, 3);
  const rows = await q.query(
    `update ${table} set usage = ${ADD_SPEND} where ${where} ${options.withinBudget ? `and ${WITHIN_BUDGET}` : ''} returning 1`,
    [spend.tokens, spend.usd, ...keys],
  );
  return rows.length > 0;
}

/** Adds the minutes a tool ran to the account's `toolsMinutes` usage (never refused). */
export async function addToolMinutes(q: Queryable, scope: BudgetScope, minutes: number): Promise<void> {
  const { table, where, keys } = target(scope, 2);
  await q.query(`update ${table} set usage = ${ADD_TOOL_MINUTES} where ${where}`, [minutes, ...keys]);
}

/** The account's usage and budgets; empty objects when the phase or run does not exist. */
export async function readBudgetAccount(q: Queryable, scope: BudgetScope): Promise<BudgetAccountState> {
  const { table, where, keys } = target(scope, 1);
  const rows = await q.query<{
    usage: Record<string, number> | null;
    budgets: Record<string, number> | null;
  }>(`select usage, budgets from ${table} where ${where}`, keys);
  const row = rows[0];
  return { usage: row?.usage ?? {}, budgets: row?.budgets ?? {} };
}
