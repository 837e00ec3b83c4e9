import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ParseError, TestCaseResult, TestReport } from '../../core/schemas/tool-reports.ts';
import type { ProcessResult } from '../tool.ts';

/** Reads what the drivers and the JSON-lines reporter (`node-test-reporter.mjs`) left in the scratch dir. */

export const REPORTER_PATH = fileURLToPath(new URL('./node-test-reporter.mjs', import.meta.url));

const TestEvent = z.object({
  event: z.literal('test'),
  name: z.string(),
  file: z.string().optional(),
  nesting: z.number(),
  type: z.string(),
  passed: z.boolean(),
  skip: z.boolean(),
  todo: z.boolean(),
  cancelled: z.boolean(),
  durationMs: z.number(),
  message: z.string().optional(),
});

const SummaryEvent = z.object({
  event: z.literal('summary'),
  counts: z.object({
    tests: z.number(),
    passed: z.number(),
    failed: z.number(),
    cancelled: z.number(),
    skipped: z.number(),
    todo: z.number(),
  }),
  durationMs: z.number(),
});

const Percentages = z.object({
  coveredLinePercent: z.number(),
  coveredBranchPercent: z.number(),
  coveredFunctionPercent: z.number(),
});

const Counts = z.object({
  totalLineCount: z.number(),
  coveredLineCount: z.number(),
  totalBranchCount: z.number(),
  coveredBranchCount: z.number(),
  totalFunctionCount: z.number(),
  coveredFunctionCount: z.number(),
});

const CoverageEvent = z.object({
  event: z.literal('coverage'),
  totals: Percentages,
  files: z.array(Percentages.extend({ path: z.string() }).extend(Counts.partial().shape)),
});

const ReporterEvent = z.discriminatedUnion('event', [TestEvent, SummaryEvent, CoverageEvent]);

export interface NodeTestEvents {
  cases: TestCaseResult[];
  summary?: z.infer<typeof SummaryEvent>;
  coverage?: z.infer<typeof CoverageEvent>;
}

/** The reporter's file can be large for a big suite, so it is read from disk, not from bounded stdout. */
const MAX_EVENTS_BYTES = 64 * 1024 * 1024;

export async function readNodeTestEvents(scratchDir: string, workspace: string): Promise<NodeTestEvents> {
  let text: string;
  try {
    text = await readFile(join(scratchDir, 'events.jsonl'), 'utf8');
  } catch {
    return { cases: [] };
  }
  if (text.length > MAX_EVENTS_BYTES) text = text.slice(0, MAX_EVENTS_BYTES);
  const result: NodeTestEvents = { cases: [] };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: z.infer<typeof ReporterEvent>;
    try {
      parsed = ReporterEvent.parse(JSON.parse(line));
    } catch {
      continue; // A line cut by a kill at the time limit.
    }
    if (parsed.event === 'summary') result.summary = parsed;
    else if (parsed.event === 'coverage') result.coverage = parsed;
    else if (parsed.type !== 'suite') result.cases.push(toCase(parsed, workspace));
  }
  return result;
}

function toCase(event: z.infer<typeof TestEvent>, workspace: string): TestCaseResult {
  const status = event.todo
    ? 'todo'
    : event.skip
      ? 'skipped'
      : event.cancelled
        ? 'cancelled'
        : event.passed
          ? 'passed'
          : 'failed';
  return {
    name: event.name,
    ...(event.file ? { file: relativeTo(workspace, event.file) } : {}),
    status,
    durationMs: Math.max(0, event.durationMs),
    ...(event.message && !event.passed ? { message: event.message } : {}),
  };
}

export function relativeTo(workspace: string, path: string): string {
  const file = path.startsWith('file://') ? fileURLToPath(path) : path;
  return relative(workspace, file) || file;
}

export async function readJsonFile<T>(path: string, schema: z.ZodType<T>, fallback: T): Promise<T> {
  try {
    return schema.parse(JSON.parse(await readFile(path, 'utf8')));
  } catch {
    return fallback;
  }
}

export const ParseErrors = z.array(
  z.object({ file: z.string(), line: z.number().int().optional(), message: z.string() }),
);

/** Counts exactly as the runner printed them; without a summary (killed early) they come from cases. */
export function buildTestReport(
  ref: string,
  command: string,
  result: ProcessResult,
  events: NodeTestEvents,
  parseErrors: ParseError[],
  commit: string | undefined,
): TestReport {
  const count = (status: TestCaseResult['status']): number =>
    events.cases.filter((c) => c.status === status).length;
  const counts = events.summary?.counts ?? {
    tests: events.cases.length,
    passed: count('passed'),
    failed: count('failed'),
    cancelled: count('cancelled'),
    skipped: count('skipped'),
    todo: count('todo'),
  };
  const failures = events.cases
    .filter((c) => c.status === 'failed' || c.status === 'cancelled')
    .map((c) => ({ name: c.name, message: c.message ?? c.status, ...(c.file ? { file: c.file } : {}) }));
  if (result.timedOut)
    failures.push({ name: '(tool)', message: 'the test run was killed at its time limit' });
  if (result.outOfMemory)
    failures.push({ name: '(tool)', message: 'the test run ran out of its memory limit' });
  return {
    tool: ref,
    command,
    exitCode: result.exitCode,
    passed: counts.passed,
    failed: counts.failed,
    skipped: counts.skipped,
    todo: counts.todo,
    cancelled: counts.cancelled,
    total: counts.tests,
    durationMs: Math.max(0, events.summary?.durationMs ?? result.durationMs),
    cases: events.cases,
    failures,
    parseErrors,
    ...(commit ? { commit } : {}),
  };
}
