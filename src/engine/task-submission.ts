import type { z } from 'zod';
import { invalidInput } from '../core/errors.ts';

/**
 * The checks a task passes before it is stored, whoever submits it (`tasks enqueue`, the API).
 * Without them an unknown type sits `ready` forever and a bad input fails only when a worker claims
 * it; a deeply nested input used to crash the process with a raw stack overflow. Every refusal is an
 * `invalidInput` error (CLI exit 2, API 400) raised before anything is written.
 */

/** Nesting deeper than this is refused: no handler's input needs it, and recursion elsewhere would. */
export const MAX_TASK_INPUT_DEPTH = 32;
/** Serialized size limit of one task's input (the tasks table keeps it as JSONB). */
export const MAX_TASK_INPUT_BYTES = 256 * 1024;

export interface TaskTypes {
  /** Input schema of each task type that this installation can run. */
  readonly inputs: ReadonlyMap<string, z.ZodType>;
}

/**
 * Depth of a JSON value, measured without recursion (the input may be thousands of levels deep);
 * stops counting once it passes `limit`.
 */
export function jsonDepth(value: unknown, limit = MAX_TASK_INPUT_DEPTH): number {
  let deepest = 0;
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop() as { v: unknown; depth: number };
    if (v === null || typeof v !== 'object') continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > limit) return deepest;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const child of children) stack.push({ v: child, depth: level });
  }
  return deepest;
}

/**
 * Refuses a submission whose type no handler runs, whose input is too deep or too large, or whose input
 * the type's schema rejects; returns the input as given (defaults are applied by the handler).
 */
export function checkTaskSubmission(types: TaskTypes, type: string, input: unknown): unknown {
  const schema = types.inputs.get(type);
  if (!schema) {
    const known = [...types.inputs.keys()].sort().join(', ');
    throw invalidInput(`unknown task type "${type}": this installation runs ${known}`);
  }
  const depth = jsonDepth(input);
  if (depth > MAX_TASK_INPUT_DEPTH)
    throw invalidInput(`task input is nested deeper than ${MAX_TASK_INPUT_DEPTH} levels`);
  const bytes = Buffer.byteLength(JSON.stringify(input ?? null), 'utf8');
  if (bytes > MAX_TASK_INPUT_BYTES)
    throw invalidInput(`task input is ${bytes} bytes, over the limit of ${MAX_TASK_INPUT_BYTES}`);
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    const reasons = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
    throw invalidInput(`${type} input rejected: ${reasons.join('; ')}`);
  }
  return input;
}
