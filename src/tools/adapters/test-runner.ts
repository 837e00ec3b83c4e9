import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { MeasuredCoverage, TestReport } from '../../core/schemas/tool-reports.ts';
import { shellQuote } from '../runner.ts';
import type { Tool } from '../tool.ts';
import { nodeDriverPlan, WorkspaceToolInput } from './node-driver.ts';
import {
  buildTestReport,
  ParseErrors,
  readJsonFile,
  readNodeTestEvents,
  relativeTo,
} from './node-test-events.ts';
import { readPackageJson, scriptOf, selectionFromScript } from './npm-test-script.ts';

/**
 * `test-runner`: the workspace's tests under Node's test runner with its built-in coverage, plus
 * `node --check` on every JavaScript file. Its version is the Node version: the runner and the
 * coverage are Node's.
 */

export const TestRunnerInput = WorkspaceToolInput;
export type TestRunnerInput = z.infer<typeof TestRunnerInput>;

export const TestRunnerOutput = z.object({ tests: TestReport, coverage: MeasuredCoverage });
export type TestRunnerOutput = z.infer<typeof TestRunnerOutput>;

const DRIVER = fileURLToPath(new URL('./test-runner-driver.mjs', import.meta.url));

const Command = z.array(z.string());

export const testRunner: Tool<TestRunnerInput, TestRunnerOutput> = {
  id: 'test-runner',
  version: (ctx) => ctx.nodeVersion,
  input: TestRunnerInput,
  output: TestRunnerOutput,
  async plan(input, ctx) {
    const selection = selectionFromScript(scriptOf(await readPackageJson(ctx.workspace), 'test'));
    return nodeDriverPlan(DRIVER, ctx, selection, input);
  },
  reports: (output) => [
    { type: 'TestReport', content: output.tests },
    { type: 'MeasuredCoverage', content: output.coverage },
  ],
  async parse(result, input, ctx) {
    const events = await readNodeTestEvents(ctx.scratchDir, ctx.workspace);
    const parseErrors = await readJsonFile(join(ctx.scratchDir, 'parse-errors.json'), ParseErrors, []);
    const argv = await readJsonFile(join(ctx.scratchDir, 'command.json'), Command, ['node', '--test']);
    const tests = buildTestReport(
      ctx.ref,
      argv.map(shellQuote).join(' '),
      result,
      events,
      parseErrors,
      input.commit,
    );
    return { tests, coverage: coverageOf(ctx.ref, events.coverage, ctx.workspace, input.commit) };
  },
};

type CoverageEvent = Awaited<ReturnType<typeof readNodeTestEvents>>['coverage'];

/**
 * Node's own totals, as shares. No coverage event (the run was killed, or no file was measured)
 * is zero coverage, not full: a missing measurement must not pass a gate.
 */
/**
 * Coverage of the workspace's files. When the tests share one process (`--test-isolation=none`), the
 * runner also covers this tool's own reporter, which lives outside the workspace: such files are left
 * out and the totals recomputed from the remaining files' counts the way Node computes its `all files`
 * row, so the figures equal a by-hand run in the workspace.
 */
function coverageOf(
  ref: string,
  event: CoverageEvent,
  workspace: string,
  commit: string | undefined,
): MeasuredCoverage {
  const share = (percent: number): number => Math.min(1, Math.max(0, percent / 100));
  const all = event?.files ?? [];
  const inside = all.filter((f) => !relativeTo(workspace, f.path).startsWith('..'));
  const counted = inside.every((f) => f.totalLineCount !== undefined);
  const ratio = (covered: number, total: number) => (total === 0 ? 1 : covered / total);
  const sum = (key: keyof (typeof inside)[number]) => inside.reduce((n, f) => n + Number(f[key] ?? 0), 0);
  const totals =
    inside.length < all.length && counted
      ? {
          lines: ratio(sum('coveredLineCount'), sum('totalLineCount')),
          branches: ratio(sum('coveredBranchCount'), sum('totalBranchCount')),
          functions: ratio(sum('coveredFunctionCount'), sum('totalFunctionCount')),
        }
      : event?.totals
        ? {
            lines: share(event.totals.coveredLinePercent),
            branches: share(event.totals.coveredBranchPercent),
            functions: share(event.totals.coveredFunctionPercent),
          }
        : { lines: 0, branches: 0, functions: 0 };
  return {
    tool: ref,
    ...totals,
    files: inside.map((f) => ({
      path: relativeTo(workspace, f.path),
      lines: share(f.coveredLinePercent),
      branches: share(f.coveredBranchPercent),
      functions: share(f.coveredFunctionPercent),
    })),
    ...(commit ? { commit } : {}),
  };
}
