import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import {
  addSpend,
  addToolMinutes,
  type BudgetAccountState,
  type BudgetScope,
  readBudgetAccount,
} from '../storage/budget-store.ts';
import type { Database, Queryable } from '../storage/database.ts';
import { appendEvents, EVENTS_CHANNEL } from '../storage/event-store.ts';

/**
 * Budgets per run and per phase, enforced in the database so that every process sees one account.
 * A model call first reserves its estimated tokens against both the phase and the run (one
 * transaction, fails closed), then settles to the actual usage. Exceeding a budget appends a
 * `budget.exceeded` event and throws a non-retryable BUDGET_EXCEEDED error.
 */

export interface Spend {
  tokens: number;
  usd: number;
}

export class BudgetAccount {
  readonly #db: Database;
  readonly #runId: string;
  readonly #phase: string;
  readonly #phaseScope: BudgetScope;
  readonly #runScope: BudgetScope;

  constructor(db: Database, runId: string, phase: string) {
    this.#db = db;
    this.#runId = runId;
    this.#phase = phase;
    this.#phaseScope = { kind: 'phase', runId, phase };
    this.#runScope = { kind: 'run', runId };
  }

  /**
   * Reserves `spend` against the phase and the run; throws BUDGET_EXCEEDED (nothing reserved) if either
   * would go over. `within` runs in the same transaction once the reservation holds (to record who
   * holds it); if it throws, nothing is reserved.
   */
  async reserve(spend: Spend, taskId?: string, within?: (tx: Queryable) => Promise<void>): Promise<void> {
    const over = await this.#db
      .transaction(async (tx) => {
        const phase = await addSpend(tx, this.#phaseScope, spend, { withinBudget: true });
        if (!phase) return 'phase';
        const run = await addSpend(tx, this.#runScope, spend, { withinBudget: true });
        if (!run) throw new BudgetRollback('run');
        await within?.(tx);
        return undefined;
      })
      .catch((error: unknown) => {
        if (error instanceof BudgetRollback) return error.scope;
        throw error;
      });
    if (!over) return;
    const usage = await this.#usage(over);
    await this.#db.transaction((tx) =>
      appendEvents(tx, this.#db.channel(EVENTS_CHANNEL), [
        {
          type: 'budget.exceeded',
          runId: this.#runId,
          phase: this.#phase,
          taskId: taskId ?? null,
          payload: { scope: over, requested: spend, usage: usage.usage, budgets: usage.budgets },
        },
      ]),
    );
    throw new IdeaMineError(
      ErrorCode.budgetExceeded,
      `${over} budget exceeded in ${this.#phase}: needed ${spend.tokens} more tokens / $${spend.usd.toFixed(4)}; used ${JSON.stringify(usage.usage)} of ${JSON.stringify(usage.budgets)}`,
      { errorClass: ErrorClass.budget, details: { scope: over, phase: this.#phase } },
    );
  }

  /** Replaces a reservation with what was actually spent (may be more or less; never refused). */
  async settle(reserved: Spend, actual: Spend, tx?: Queryable): Promise<void> {
    const delta = { tokens: actual.tokens - reserved.tokens, usd: actual.usd - reserved.usd };
    const run = async (q: Queryable) => {
      await addSpend(q, this.#phaseScope, delta, { withinBudget: false });
      await addSpend(q, this.#runScope, delta, { withinBudget: false });
    };
    await (tx ? run(tx) : this.#db.transaction(run));
  }

  /** Tokens left before the phase or the run budget (whichever is tighter) is exhausted. */
  async remainingTokens(): Promise<number> {
    const [phase, run] = await Promise.all([this.#usage('phase'), this.#usage('run')]);
    const left = (u: BudgetAccountState): number => {
      const budget = u.budgets['tokens'];
      const used = u.usage['tokens'] ?? 0;
      return budget === undefined ? Number.POSITIVE_INFINITY : Math.max(0, budget - used);
    };
    return Math.min(left(phase), left(run));
  }

  /**
   * A synchronous allowance for code that reserves many small amounts in a row (the Q/A/V triad):
   * it may spend what the account had left when it started; `settle` then books the actual usage.
   */
  async allowance(): Promise<{
    reserve(tokens: number): void;
    release(tokens: number): void;
    readonly left: number;
  }> {
    let left = await this.remainingTokens();
    const phase = this.#phase;
    return {
      reserve(tokens: number) {
        if (tokens > left) {
          throw new IdeaMineError(
            ErrorCode.budgetExceeded,
            `budget exceeded in ${phase}: ${tokens} tokens requested, ${left} left`,
            {
              errorClass: ErrorClass.budget,
            },
          );
        }
        left -= tokens;
      },
      release(tokens: number) {
        left += Math.max(0, tokens);
      },
      get left() {
        return left;
      },
    };
  }

  /**
   * Tools are refused once the phase or the run has used its `toolsMinutes` (a missing budget is
   * unlimited). A tool's run is not cut short by the budget: its own time limit bounds it, and the
   * minutes it used are booked afterwards with `spendToolMinutes`.
   */
  async ensureToolMinutes(tool: string): Promise<void> {
    for (const scope of ['phase', 'run'] as const) {
      const { usage, budgets } = await this.#usage(scope);
      const budget = budgets['toolsMinutes'];
      const used = usage['toolsMinutes'] ?? 0;
      if (budget !== undefined && used >= budget)
        throw new IdeaMineError(
          ErrorCode.budgetExceeded,
          `${scope} tools_minutes budget exhausted in ${this.#phase}: ${used.toFixed(2)} of ${budget} minutes used; ${tool} not run`,
          { errorClass: ErrorClass.budget, details: { scope, phase: this.#phase, tool } },
        );
    }
  }

  /** Books the minutes a tool ran against the phase and the run. */
  async spendToolMinutes(minutes: number, tx?: Queryable): Promise<void> {
    const run = async (q: Queryable) => {
      await addToolMinutes(q, this.#phaseScope, minutes);
      await addToolMinutes(q, this.#runScope, minutes);
    };
    await (tx ? run(tx) : this.#db.transaction(run));
  }

  #usage(scope: 'phase' | 'run'): Promise<BudgetAccountState> {
    return readBudgetAccount(this.#db, scope === 'phase' ? this.#phaseScope : this.#runScope);
  }
}

class BudgetRollback extends Error {
  readonly scope: 'run';
  constructor(scope: 'run') {
    super(`${scope} budget exceeded`);
    this.scope = scope;
  }
}

/** Rough token estimate for a prompt before the call (≈ 4 characters a token, plus the answer allowance). */
export function estimateTokens(text: string, maxOutputTokens = 2_000): number {
  return Math.ceil(text.length / 4) + maxOutputTokens;
}
