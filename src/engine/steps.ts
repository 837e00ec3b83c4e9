import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import type { Database, Queryable } from '../storage/database.ts';
import type { RunLeaseFence } from '../storage/run-lease-store.ts';
import { findStepResult, recordStepResult } from '../storage/step-store.ts';

/**
 * Durable steps (invariant 9). `step(key, fn)` stores fn's result under (scope, position); when the
 * scope is replayed after a crash, finished steps return their stored result without running again.
 * If the code asks for a different step at a position than the one recorded, the replay is
 * non-deterministic and fails loudly instead of mixing two histories.
 *
 * A `fence` ties writes to the run lease: a process that lost the lease cannot record steps.
 */

export type StepFence = RunLeaseFence;

export class StepRunner {
  readonly scope: string;
  readonly #db: Database;
  readonly #fence: StepFence | undefined;
  #position = 0;

  constructor(db: Database, scope: string, fence?: StepFence) {
    this.#db = db;
    this.scope = scope;
    this.#fence = fence;
  }

  get position(): number {
    return this.#position;
  }

  /** Creates a runner for a sub-scope (e.g. one phase of a run) sharing this runner's fence. */
  child(name: string): StepRunner {
    return new StepRunner(this.#db, `${this.scope}/${name}`, this.#fence);
  }

  /**
   * Runs `fn` once per (scope, position). With `commit`, the step's database effect and its record
   * commit in one transaction: `fn` does the slow part outside any transaction (waiting for tasks,
   * calling a model), `commit(tx, value)` writes the outcome. A crash before that commit re-runs
   * `fn`, which must therefore be idempotent (enqueue by idempotency key, for example).
   */
  async step<T, R = T>(
    key: string,
    fn: () => Promise<T>,
    commit?: (tx: Queryable, value: T) => Promise<R>,
  ): Promise<R> {
    const position = this.#position++;
    const hit = await findStepResult(this.#db, this.scope, position);
    if (hit) {
      if (hit.key !== key) {
        throw new IdeaMineError(
          ErrorCode.determinism,
          `non-deterministic replay in ${this.scope}: position ${position} recorded step "${hit.key}" but the code asked for "${key}"`,
          {
            errorClass: ErrorClass.fatal,
            details: { scope: this.scope, position, recorded: hit.key, requested: key },
          },
        );
      }
      return hit.value as R;
    }
    const value = await fn();
    return this.#db.transaction(async (tx) => {
      const result = commit ? await commit(tx, value) : (value as unknown as R);
      await this.#record(tx, position, key, result);
      return result;
    });
  }

  async #record(q: Queryable, position: number, key: string, value: unknown): Promise<void> {
    const recorded = await recordStepResult(q, { scope: this.scope, position, key, value }, this.#fence);
    if (!recorded) {
      throw new IdeaMineError(
        ErrorCode.leaseLost,
        `step "${key}" of ${this.scope} was not recorded: this process no longer holds the run lease, or another process recorded it first`,
        { errorClass: ErrorClass.fatal },
      );
    }
  }
}
