import { ErrorCode, IdeaMineError } from '../core/errors.ts';
import type { Model, ModelRequest, ModelResponse } from './model.ts';

/**
 * A `Model` made of rungs tried one at a time: e.g. the configured model, then the same model at a
 * lower temperature, then a cheaper model. It never climbs by itself: the unsticker decides when a
 * task is stuck and calls `climb()`; the ladder only answers on the current rung and reports which
 * one that is (`rungId`) so the caller can record it. States: rung 0 → 1 → … → last (stays there).
 */

export interface LadderRung {
  model: Model;
  /** Overrides the request's temperature on this rung. */
  temperature?: number;
  /** Defaults to the model id, plus `@t=<temperature>` when one is set. */
  id?: string;
}

export interface FallbackLadder extends Model {
  /** The current rung's index (0-based). */
  readonly rung: number;
  /** The current rung's id, for ledgers and events. */
  readonly rungId: string;
  readonly rungIds: readonly string[];
  /** Moves to the next rung; false (and no move) when already on the last one. */
  climb(): boolean;
  /** Back to rung 0, e.g. when a new task starts. */
  reset(): void;
}

export function createFallbackLadder(rungs: ReadonlyArray<Model | LadderRung>): FallbackLadder {
  if (rungs.length === 0) {
    throw new IdeaMineError(ErrorCode.invalidConfig, 'a fallback ladder needs at least one rung');
  }
  const steps = rungs.map(normalise);
  let index = 0;
  const current = (): LadderRung & { id: string } => steps[index]!;
  return {
    get id() {
      return current().model.id;
    },
    get rung() {
      return index;
    },
    get rungId() {
      return current().id;
    },
    rungIds: steps.map((s) => s.id),
    climb() {
      if (index >= steps.length - 1) return false;
      index += 1;
      return true;
    },
    reset() {
      index = 0;
    },
    generate<O>(request: ModelRequest<O>): Promise<ModelResponse<O>> {
      const step = current();
      return step.model.generate(
        step.temperature === undefined ? request : { ...request, temperature: step.temperature },
      );
    },
  };
}

function normalise(rung: Model | LadderRung): LadderRung & { id: string } {
  const step: LadderRung = 'generate' in rung ? { model: rung } : rung;
  const id =
    step.id ?? (step.temperature === undefined ? step.model.id : `${step.model.id}@t=${step.temperature}`);
  return { ...step, id };
}
