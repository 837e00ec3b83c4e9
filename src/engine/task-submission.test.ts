import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtinTaskInputs } from './handlers.ts';
import { checkTaskSubmission, jsonDepth, MAX_TASK_INPUT_BYTES } from './task-submission.ts';

const types = { inputs: builtinTaskInputs() };

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i += 1) v = { a: v };
  return v;
}

describe('checkTaskSubmission', () => {
  it('accepts a known type with a valid input and returns it unchanged', () => {
    const input = { ms: 10 };
    expect(checkTaskSubmission(types, 'diag.sleep', input)).toBe(input);
  });

  it('refuses an unknown type, listing the types this installation runs', () => {
    expect(() => checkTaskSubmission(types, 'diag.nope', {})).toThrow(
      /unknown task type "diag.nope": this installation runs diag.effect, diag.poison, diag.sleep/,
    );
  });

  it('refuses what the handler schema would reject later: a negative ms, an unknown field', () => {
    expect(() => checkTaskSubmission(types, 'diag.sleep', { ms: -5 })).toThrow(
      /diag.sleep input rejected: ms:/,
    );
    expect(() => checkTaskSubmission(types, 'diag.sleep', { ms: 5, colour: 'red' })).toThrow(
      /diag.sleep input rejected: .*colour/,
    );
  });

  it('refuses a 5,000-level input with the limit, not a stack overflow', () => {
    expect(() => checkTaskSubmission(types, 'diag.sleep', nested(5_000))).toThrow(
      /nested deeper than 32 levels/,
    );
  });

  it('refuses an input over the size limit', () => {
    const loose = { inputs: new Map([['t', z.unknown()]]) };
    expect(() => checkTaskSubmission(loose, 't', { s: 'x'.repeat(MAX_TASK_INPUT_BYTES) })).toThrow(
      /bytes, over the limit of 262144/,
    );
  });

  it('every refusal is INVALID_INPUT', () => {
    try {
      checkTaskSubmission(types, 'diag.nope', {});
      expect.unreachable();
    } catch (error) {
      expect((error as { code?: string }).code).toBe('INVALID_INPUT');
    }
  });
});

describe('jsonDepth', () => {
  it('counts object and array levels without recursion', () => {
    expect(jsonDepth(1)).toBe(0);
    expect(jsonDepth({})).toBe(1);
    expect(jsonDepth({ a: [{ b: 1 }] })).toBe(3);
    expect(jsonDepth(nested(100_000), 32)).toBe(33);
  });
});
