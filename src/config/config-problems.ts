import { isAbsolute, relative } from 'node:path';
import type { z } from 'zod';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';

/**
 * Config errors are for people editing YAML by hand, so each one names the file, the field path
 * (as written in the file: snake_case, `agents[1].id`) and the reason in YAML terms ("a mapping",
 * "a list"), with the line when we know it. Problems are collected across all files and reported
 * together, so one run of `ideamine config validate` shows everything to fix.
 */
export interface ConfigProblem {
  file: string;
  /** Field path, e.g. `rubrics.ambiguity_max`; empty for a whole-file problem. */
  path: string;
  message: string;
  line?: number;
}

export type PathSegment = string | number;

/** Shows a path relative to the working directory when it is inside it (shorter, as typed). */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** A value as a YAML author would recognise it: `"high"`, `3`, `a list`, `a mapping`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

const YAML_TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  tuple: 'a list',
  int: 'an integer',
};

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let current = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return current;
}

interface LocatedReason {
  path: PathSegment[];
  message: string;
}

/** Turns zod issues into field-level reasons, descending into unions to the branch that applied. */
export function issueReasons(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  base: PathSegment[] = [],
): LocatedReason[] {
  return issues.flatMap((issue) => reasonsFor(issue, input, base));
}

function reasonsFor(issue: z.core.$ZodIssue, input: unknown, base: PathSegment[]): LocatedReason[] {
  const path = [...base, ...(issue.path as PathSegment[])];
  const value = valueAt(input, path);
  const got = describeValue(value);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return [{ path, message: 'required field is missing' }];
      return [{ path, message: `expected ${YAML_TYPE_NAMES[issue.expected] ?? issue.expected}, got ${got}` }];
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], message: 'unknown field' }));
    case 'invalid_value':
      return [
        {
          path,
          message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${got}`,
        },
      ];
    case 'too_small':
      if (issue.origin === 'array' && Number(issue.minimum) === 1)
        return [{ path, message: 'must not be empty' }];
      if (issue.origin === 'string')
        return [{ path, message: `must be at least ${issue.minimum} characters` }];
      return [{ path, message: `must be ${issue.inclusive ? '>=' : '>'} ${issue.minimum}, got ${got}` }];
    case 'too_big':
      if (issue.origin === 'string')
        return [{ path, message: `must be at most ${issue.maximum} characters` }];
      return [{ path, message: `must be ${issue.inclusive ? '<=' : '<'} ${issue.maximum}, got ${got}` }];
    case 'invalid_format':
      return [{ path, message: `${issue.message}, got ${got}` }];
    case 'invalid_key':
      return [{ path, message: issue.issues[0]?.message ?? 'invalid key' }];
    case 'invalid_union':
      return unionReasons(issue, input, path, got);
    default:
      return [{ path, message: issue.message }];
  }
}

function unionReasons(
  issue: z.core.$ZodIssueInvalidUnion,
  input: unknown,
  path: PathSegment[],
  got: string,
): LocatedReason[] {
  // A union with its own message (e.g. parallelism) says best what it accepts.
  if (issue.message !== 'Invalid input') return [{ path, message: `${issue.message}, got ${got}` }];
  const isTypeMiss = (inner: z.core.$ZodIssue): boolean =>
    inner.code === 'invalid_type' && inner.path.length === 0;
  // The branches whose type matched the value failed on something inside: report that instead.
  const matching = issue.errors.filter((branch) => !branch.every(isTypeMiss));
  if (matching.length === 1 && matching[0]) return issueReasons(matching[0], input, path);
  const expected = new Set(
    issue.errors
      .flat()
      .filter(isTypeMiss)
      .map((inner) =>
        inner.code === 'invalid_type' ? (YAML_TYPE_NAMES[inner.expected] ?? inner.expected) : '',
      ),
  );
  return [{ path, message: `expected ${[...expected].join(' or ')}, got ${got}` }];
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.path === '' ? '' : `${problem.path}: `;
  const line = problem.line === undefined ? '' : ` (line ${problem.line})`;
  return `${problem.file}: ${where}${problem.message}${line}`;
}

/** One IdeaMineError for all problems; the message lists them one per line. */
export function configError(problems: readonly ConfigProblem[]): IdeaMineError {
  const lines = problems.map(formatProblem);
  const message =
    lines.length === 1
      ? (lines[0] as string)
      : `invalid configuration (${lines.length} problems):\n  ${lines.join('\n  ')}`;
  return new IdeaMineError(ErrorCode.invalidConfig, message, {
    errorClass: ErrorClass.fatal,
    details: { problems: problems.map((p) => ({ ...p })) },
  });
}
