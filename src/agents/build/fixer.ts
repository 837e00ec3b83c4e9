import { z } from 'zod';
import type { AgentInput } from '../../core/agent.ts';
import { TestCaseResult, type TestReport } from '../../core/schemas/tool-reports.ts';
import { readArtifact } from '../shared/artifacts.ts';
import { defineAgent } from '../shared/define.ts';
import { repairApp } from './app/repair.ts';
import { appSpecFrom } from './app/spec.ts';
import { renderFixerPrompt } from './fixer-prompt.ts';
import { CodePatch as CodePatchSchema, WorkspaceSnapshot } from './schemas.ts';

/**
 * Fixers repair the workspace from a real test run. On a later gate attempt the phase coordinator
 * hands them the previous attempt's tool report (failing test names and messages, files that did not
 * parse) and the workspace as committed; they answer with a `CodePatch` that the coordinator commits
 * before the tools measure again. With nothing failing they change nothing.
 *
 * Offline, the repair is deterministic: the failing tests are traced to the files that implement them,
 * and those that differ from what the specification generates are restored. A defect outside those
 * files is not repaired, and the gate keeps failing on the real test — never on a claim.
 */

const UPSTREAM = ['IdeaClassification', 'UserStories', 'PRD', 'ApiSpec', 'DataModel', 'ArchitectureSpec'];

/**
 * What a fixer reads of a test run. The coordinator leaves timings and commit ids out of a fixer's
 * inputs (they would make its prompt differ between two runs of the same failure), so this is the
 * report without them.
 */
const FailedRun = z
  .object({
    passed: z.number().int(),
    failed: z.number().int(),
    total: z.number().int(),
    cases: z.array(TestCaseResult.omit({ durationMs: true }).loose()),
    failures: z.array(z.object({ name: z.string(), message: z.string(), file: z.string().optional() })),
    parseErrors: z.array(
      z.object({ file: z.string(), line: z.number().int().optional(), message: z.string() }),
    ),
  })
  .loose();

function failingReport(input: AgentInput, type: 'TestReport' | 'AcceptanceRun'): TestReport | undefined {
  const run = readArtifact(input, type, FailedRun);
  if (!run) return undefined;
  const report = {
    tool: type,
    command: '',
    exitCode: null,
    skipped: 0,
    todo: 0,
    durationMs: 0,
    ...run,
    cases: run.cases.map((c) => ({ ...c, durationMs: 0 })),
  } as TestReport;
  const broken = report.failed > 0 || report.parseErrors.length > 0 || report.passed < report.total;
  return broken ? report : undefined;
}

/**
 * What a fixer answers: whole files and a diagnosis. A `CodePatch` without `deletions`: OpenAI's
 * strict structured outputs reject a schema with an optional property (every key must be required),
 * and a fixer repairs by rewriting files, never by removing them.
 */
export const FixerPatch = CodePatchSchema.omit({ deletions: true });
export type FixerPatch = z.infer<typeof FixerPatch>;

export function offlineRepair(input: AgentInput, type: 'TestReport' | 'AcceptanceRun'): FixerPatch {
  const report = failingReport(input, type);
  if (!report) return { files: [], diagnosis: [] };
  const snapshot = readArtifact(input, 'WorkspaceSnapshot', WorkspaceSnapshot);
  const current = new Map((snapshot?.files ?? []).map((f) => [f.path, f.content]));
  return repairApp(appSpecFrom(input), report, current);
}

export function defineFixer(phase: 'story-loop' | 'qa', reportType: 'TestReport' | 'AcceptanceRun') {
  const reads = [...UPSTREAM, reportType, 'WorkspaceSnapshot'];
  const task = `Read the failing tests of the ${reportType} and the workspace files, find the cause of each failure in the code, and return the changed files in full. With no failing test, return no files.`;
  const rules = [
    'Return whole files, each with its relative path; never weaken or delete a test to make it pass.',
    'Change only what fixes the failures; keep every other line of a file you return as it is.',
    'One diagnosis entry per failing test: the test name as reported, the files you changed and the cause you found.',
  ];
  const agent = defineAgent({
    id: `${phase}.fixer`,
    purpose: `Repair the code from the real ${reportType === 'TestReport' ? 'test' : 'acceptance test'} output of the previous gate attempt.`,
    reads,
    produces: 'CodePatch',
    role: 'You are the engineer on call for a red build. You read the failing tests and their messages, find the cause in the code, and change only what fixes it.',
    task,
    rules,
    outputSchema: FixerPatch,
    offline: (input) => offlineRepair(input, reportType),
  });
  // The failing tests and the code must reach the model whole: see fixer-prompt.ts.
  return {
    ...agent,
    prompt: (input: AgentInput) =>
      renderFixerPrompt(input, { reportType, produces: 'CodePatch', reads, task, rules }),
  };
}
