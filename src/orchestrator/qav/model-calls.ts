import { ErrorClass, ErrorCode, isIdeaMineError } from '../../core/errors.ts';
import type { Model, ModelRequest, ModelResponse, TokenUsage } from '../../llm/model.ts';
import { estimateTokens } from '../../llm/offline-model.ts';

/**
 * Every model call of the triad goes through here: the budget is reserved BEFORE the call (so a
 * refused reservation costs nothing), usage is tallied after it.
 *
 * The reservation is the prompt estimate (≈4 chars per token) plus the request's output cap. A
 * network model may spend more than that (its one schema-repair call resends the prompt); the
 * excess is reserved after the fact, and if the budget refuses it the triad stops before the next
 * call rather than throwing away an answer it already paid for.
 */

export interface Budget {
  /** Throws IdeaMineError BUDGET_EXCEEDED when the reservation would go over the limit. */
  reserve(tokens: number): void;
  /**
   * Optional: hands back the unused part of a reservation once the call's real usage is known
   * (the output cap is reserved, a typical answer uses a fraction of it).
   */
  release?(tokens: number): void;
}

export interface UsageTally {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  calls: number;
}

export interface CallContext {
  model: Model;
  budget?: Budget | undefined;
  usage: UsageTally;
  /** Set once the budget has refused a reservation: no further model call is made. */
  exhausted: boolean;
}

export function isBudgetExceeded(error: unknown): boolean {
  return isIdeaMineError(error) && error.code === ErrorCode.budgetExceeded;
}

/** The model answered, but not in the schema (after the provider's own repair call). */
export function isSchemaFailure(error: unknown): boolean {
  return isIdeaMineError(error) && error.errorClass === ErrorClass.schema;
}

export function emptyUsage(): UsageTally {
  return { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };
}

/**
 * Calls the model within the budget. Returns undefined (and marks the context exhausted) when the
 * budget refuses the reservation; other errors propagate.
 */
export async function callWithinBudget<O>(
  context: CallContext,
  request: ModelRequest<O> & { maxOutputTokens: number },
): Promise<O | undefined> {
  if (context.exhausted) return undefined;
  const reserved = estimateTokens(request.system + request.prompt) + request.maxOutputTokens;
  if (!reserve(context, reserved)) return undefined;
  let response: ModelResponse<O>;
  try {
    response = await context.model.generate(request);
  } catch (error) {
    // A failed call may still have been paid for (a schema failure after a repair call says how much).
    const spent = isIdeaMineError(error) ? (error.details['usage'] as TokenUsage | undefined) : undefined;
    tally(context, reserved, spent ?? { inputTokens: 0, outputTokens: 0 }, 0);
    throw error;
  }
  tally(context, reserved, response.usage, response.costUsd);
  return response.output;
}

function tally(context: CallContext, reserved: number, usage: TokenUsage, costUsd: number): void {
  context.usage.inputTokens += usage.inputTokens;
  context.usage.outputTokens += usage.outputTokens;
  context.usage.costUsd += costUsd;
  context.usage.calls += 1;
  const excess = usage.inputTokens + usage.outputTokens - reserved;
  if (excess > 0) reserve(context, excess);
  else if (excess < 0) context.budget?.release?.(-excess);
}

function reserve(context: CallContext, tokens: number): boolean {
  if (!context.budget) return true;
  try {
    context.budget.reserve(tokens);
    return true;
  } catch (error) {
    if (!isBudgetExceeded(error)) throw error;
    context.exhausted = true;
    return false;
  }
}
