import { z } from 'zod';
import { ErrorCode, IdeaMineError, isIdeaMineError } from '../core/errors.ts';
import { hashOf } from '../core/ids.ts';
import type { PhasePlan } from '../core/schemas/phase-plan.ts';
import type { MeasureResult, ToolInvocationRecord, ToolRecorder, Workbench } from '../core/workbench.ts';
import type { LedgerAppend } from '../observability/ledger.ts';
import { type InputProvenance, inputProvenance } from '../observability/provenance.ts';
import type { Database } from '../storage/database.ts';
import { type ArtifactRecord, insertArtifact } from '../storage/run-store.ts';
import { BudgetAccount } from './budget.ts';
import type { OrchestratorEvent } from './events.ts';
import { recordStage, recordStageNow } from './stages/recorder.ts';

/**
 * The two stages between Dispatch and Guard that touch real code:
 * - Apply: the code this attempt's agents wrote (a `SourceTree` from the build, a `CodePatch` from a
 *   fixer) is written into the run's git workspace and committed, one commit per artifact, with a
 *   message naming the phase, the agent and the gate attempt.
 * - Measure: the phase's `measure` tools run on the committed workspace; their typed reports are
 *   stored as artifacts with provenance `source: 'tool'` — the only evidence measured metrics accept.
 */

/** Artifact types whose content is code for the workspace. */
export const CODE_ARTIFACT_TYPES = new Set(['SourceTree', 'CodePatch']);

const CodeContent = z.object({
  files: z.array(z.object({ path: z.string().min(1), content: z.string() })),
  deletions: z.array(z.string().min(1)).optional(),
});

export interface StageContext {
  db: Database;
  workbench: Workbench;
  runId: string;
  phase: string;
  attempt: number;
  /** The phase's retry generation; 0 until an operator retry. */
  generation?: number;
}

/** `tool:<run>:<phase>:<attempt>` (generation 0) or `…:<attempt>#<generation>`: one key space per retry. */
function attemptKey(ctx: StageContext): string {
  const g = ctx.generation ?? 0;
  return `tool:${ctx.runId}:${ctx.phase}:${ctx.attempt}${g > 0 ? `#${g}` : ''}`;
}

export interface AppliedCommit {
  sha: string;
  artifactId: string;
  agent: string;
  files: number;
}

export async function applyCode(
  ctx: StageContext,
  artifacts: readonly ArtifactRecord[],
): Promise<AppliedCommit[]> {
  const code = artifacts.filter(
    (a) => a.phase === ctx.phase && CODE_ARTIFACT_TYPES.has(a.type) && a.provenance['source'] === 'agent',
  );
  if (code.length === 0) return [];
  await ctx.workbench.prepare(ctx.runId);
  const commits: AppliedCommit[] = [];
  for (const artifact of code) {
    const parsed = CodeContent.safeParse(artifact.content);
    if (!parsed.success)
      throw new IdeaMineError(
        ErrorCode.invalidInput,
        `${artifact.name} produced a ${artifact.type} that is not a list of files: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    const agent = String(artifact.provenance['agent'] ?? artifact.name);
    const message = `${ctx.phase}: ${agent} (gate attempt ${ctx.attempt})\n\n${commitBody(artifact)}`;
    const { commit } = await ctx.workbench.apply(ctx.runId, {
      files: parsed.data.files,
      ...(parsed.data.deletions ? { deletions: parsed.data.deletions } : {}),
      message,
    });
    if (!commit) continue;
    const applied = { sha: commit, artifactId: artifact.id, agent, files: parsed.data.files.length };
    commits.push(applied);
    await recordStageNow(ctx.db, {
      ledger: [
        {
          runId: ctx.runId,
          type: 'artifact',
          data: { kind: 'commit', phase: ctx.phase, attempt: ctx.attempt, ...applied },
          provenance: { by: 'workspace', agent },
        },
      ],
      events: [
        {
          type: 'phase.workspace.commit',
          runId: ctx.runId,
          phase: ctx.phase,
          payload: { attempt: ctx.attempt, ...applied },
        },
      ],
    });
  }
  return commits;
}

/** The commit body names the artifact whose code it is: `<type> <id>[, carried from <id>]`. */
function commitBody(artifact: ArtifactRecord): string {
  const carried = artifact.provenance['carriedFrom'];
  return `${artifact.type} ${artifact.id}${carried ? `, carried from ${String(carried)}` : ''}`;
}

const COMMITTED_ARTIFACT = /^(\S+) ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b/;

/**
 * What a tool measured, as lineage: the code artifacts whose commits make up the workspace at HEAD,
 * oldest first, read back from the commit bodies `applyCode` wrote. A commit made by hand names no
 * artifact and adds no input (the report's `commit` still pins exactly what was measured).
 */
async function workspaceInputs(ctx: StageContext): Promise<InputProvenance> {
  const log = (await ctx.workbench.info(ctx.runId))?.log ?? [];
  const ids = log
    .map((c) => COMMITTED_ARTIFACT.exec(c.body)?.[2])
    .filter((id): id is string => id !== undefined)
    .reverse();
  return inputProvenance(ctx.db, ids);
}

/** Writes tool runs to the ledger and books their minutes; refusals become ledger decisions. */
export function toolRecorder(ctx: Pick<StageContext, 'db' | 'runId' | 'phase' | 'attempt'>): ToolRecorder {
  const budget = new BudgetAccount(ctx.db, ctx.runId, ctx.phase);
  return {
    async refused(toolId, reason) {
      await recordStageNow(ctx.db, {
        ledger: [
          {
            runId: ctx.runId,
            type: 'decision',
            data: { decision: 'tool-refused', phase: ctx.phase, attempt: ctx.attempt, tool: toolId, reason },
            provenance: { by: 'tool-runner' },
          },
        ],
      });
    },
    async record(invocation: ToolInvocationRecord) {
      await ctx.db.transaction(async (tx) => {
        await recordStage(ctx.db, tx, {
          ledger: [
            {
              runId: ctx.runId,
              type: 'task',
              data: { kind: 'tool', phase: ctx.phase, attempt: ctx.attempt, ...invocation },
              provenance: { tool: invocation.tool, sandbox: invocation.sandbox },
            },
          ],
        });
        await budget.spendToolMinutes(invocation.durationMs / 60_000, tx);
      });
    },
  };
}

/**
 * Runs the phase's measure tools on the workspace as it is committed now, and stores their reports.
 * Idempotent per (attempt, tool, report type): a resumed stage finds the reports it already stored.
 */
export async function measureWorkspace(
  ctx: StageContext,
  plan: Pick<PhasePlan, 'measure' | 'allowlistedTools'>,
): Promise<ArtifactRecord[]> {
  if (plan.measure.length === 0) return [];
  const state = await ctx.workbench.prepare(ctx.runId);
  const inputs = await workspaceInputs(ctx);
  const budget = new BudgetAccount(ctx.db, ctx.runId, ctx.phase);
  const recorder = toolRecorder(ctx);
  const stored: ArtifactRecord[] = [];
  for (const toolId of plan.measure) {
    await budget.ensureToolMinutes(toolId);
    let result: MeasureResult;
    try {
      result = await ctx.workbench.measure(ctx.runId, toolId, {
        allowlist: plan.allowlistedTools,
        recorder,
      });
    } catch (error) {
      if (!isToolFailure(error)) throw error;
      // The tool ran (its invocation is in the ledger) but produced no report: a crash, a timeout,
      // unreadable output, a missing binary. Its metrics stay unmeasured and their rubrics fail closed,
      // with this as the reason; the other tools still measure.
      stored.push(await storeToolFailure(ctx, toolId, state.head, inputs, error));
      continue;
    }
    const { invocation } = result;
    await ctx.db.transaction(async (tx) => {
      const ledger: LedgerAppend[] = [];
      for (const report of result.reports) {
        const provenance = {
          ...inputs,
          source: 'tool',
          tool: invocation.tool,
          gateAttempt: ctx.attempt,
          generation: ctx.generation ?? 0,
          commit: state.head,
          inputHash: invocation.inputHash,
          command: invocation.command,
          exitCode: invocation.exitCode,
          durationMs: invocation.durationMs,
          timedOut: invocation.timedOut,
          outputHash: invocation.outputHash,
          sandbox: invocation.sandbox,
        };
        const { artifact, created } = await insertArtifact(tx, {
          runId: ctx.runId,
          phase: ctx.phase,
          type: report.type,
          name: `tool:${toolId}:${report.type}`,
          content: report.content,
          hash: hashOf(report.content),
          provenance,
          idempotencyKey: `${attemptKey(ctx)}:${toolId}:${report.type}`,
        });
        stored.push(artifact);
        if (created)
          ledger.push({
            runId: ctx.runId,
            type: 'artifact',
            data: { artifactId: artifact.id, type: artifact.type, hash: artifact.hash },
            provenance,
          });
      }
      const complete: OrchestratorEvent<'phase.tool.complete'> = {
        type: 'phase.tool.complete',
        runId: ctx.runId,
        phase: ctx.phase,
        payload: {
          attempt: ctx.attempt,
          tool: invocation.tool,
          exitCode: invocation.exitCode,
          durationMs: invocation.durationMs,
          timedOut: invocation.timedOut,
          sandbox: invocation.sandbox,
          reports: result.reports.map((r) => r.type),
        },
      };
      await recordStage(ctx.db, tx, { ledger, events: [complete] });
    });
  }
  return stored;
}

/** Artifact type of a measure tool that ran and produced no report. */
export const TOOL_FAILURE = 'ToolFailure';

function isToolFailure(error: unknown): error is IdeaMineError {
  return (
    isIdeaMineError(error) && (error.code === ErrorCode.toolFailed || error.code === ErrorCode.toolNotFound)
  );
}

async function storeToolFailure(
  ctx: StageContext,
  toolId: string,
  commit: string | null,
  inputs: InputProvenance,
  error: IdeaMineError,
): Promise<ArtifactRecord> {
  const content = {
    toolId,
    tool: String(error.details?.['tool'] ?? toolId),
    error: error.message.slice(0, 4_000),
  };
  // Not `source: 'tool'`: a failure is no measurement. measured-metrics reads it only to say why.
  const provenance = {
    ...inputs,
    source: 'measure',
    tool: content.tool,
    gateAttempt: ctx.attempt,
    generation: ctx.generation ?? 0,
    commit,
  };
  return ctx.db.transaction(async (tx) => {
    const { artifact, created } = await insertArtifact(tx, {
      runId: ctx.runId,
      phase: ctx.phase,
      type: TOOL_FAILURE,
      name: `tool:${toolId}:${TOOL_FAILURE}`,
      content,
      hash: hashOf(content),
      provenance,
      idempotencyKey: `${attemptKey(ctx)}:${toolId}:${TOOL_FAILURE}`,
    });
    if (created)
      await recordStage(ctx.db, tx, {
        ledger: [
          {
            runId: ctx.runId,
            type: 'decision',
            data: { decision: 'tool-failed', phase: ctx.phase, attempt: ctx.attempt, ...content },
            provenance: { by: 'measure' },
          },
        ],
        events: [
          {
            type: 'phase.tool.failed',
            runId: ctx.runId,
            phase: ctx.phase,
            payload: { attempt: ctx.attempt, tool: content.tool, error: content.error },
          },
        ],
      });
    return artifact;
  });
}
