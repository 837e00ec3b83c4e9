import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, IdeaMineError } from '../core/errors.ts';
import { TraceAttr, withSpan } from '../core/trace.ts';
import type {
  CodeFile,
  MeasureResult,
  ToolInvocationRecord,
  Workbench,
  WorkspaceInfo,
} from '../core/workbench.ts';
import { builtinTools, isBuiltinToolId } from './registry.ts';
import { runTool } from './runner.ts';
import type { ToolRecorder as RunnerRecorder, ToolInvocation } from './tool.ts';
import { openWorkspace, Workspace } from './workspace.ts';

/**
 * The `Workbench` the orchestrator drives: one git workspace per run under
 * `<home>/runs/<run id>/workspace/`, and the built-in tools run on it through the runner (limits,
 * sandbox, scrubbed environment, recording).
 */

export interface WorkbenchOptions {
  /** `<home>/runs/<run id>`: where a run keeps its files. */
  runDir(runId: string): string;
  /** `'off'` for environments where bwrap must not be used; default `'auto'`. */
  sandbox?: 'auto' | 'off';
}

/** A fixer sees at most this much of the workspace (text files only). */
const SNAPSHOT_LIMITS = { maxFileBytes: 256 * 1024, maxTotalBytes: 2 * 1024 * 1024 };

export function workspaceDir(runDir: string): string {
  return join(runDir, 'workspace');
}

function toRecord(invocation: ToolInvocation): ToolInvocationRecord {
  const { sandbox } = invocation;
  return {
    tool: invocation.tool,
    toolId: invocation.toolId,
    version: invocation.toolVersion,
    inputHash: invocation.inputHash,
    command: invocation.command,
    exitCode: invocation.exitCode,
    signal: invocation.signal,
    durationMs: invocation.durationMs,
    timedOut: invocation.timedOut,
    outputHash: invocation.outputHash,
    sandbox: sandbox.kind === 'bwrap' ? `bwrap ${sandbox.version}` : `none: ${sandbox.reason}`,
    limits: { timeoutMs: invocation.limits.timeoutMs, memoryMb: invocation.limits.memoryMb },
  };
}

export function createWorkbench(options: WorkbenchOptions): Workbench {
  const dirOf = (runId: string) => workspaceDir(options.runDir(runId));
  const open = (runId: string): Promise<Workspace> => openWorkspace(dirOf(runId));
  return {
    async prepare(runId) {
      const ws = await open(runId);
      const { discarded } = await ws.resetTorn();
      return { path: ws.dir, head: (await ws.head()) ?? null, discarded };
    },
    async apply(runId, change) {
      const ws = await open(runId);
      await ws.writeFiles(change.files);
      if (change.deletions && change.deletions.length > 0) await ws.removeFiles(change.deletions);
      return { commit: (await ws.commit(change.message)) ?? null };
    },
    async snapshot(runId) {
      const ws = await open(runId);
      const files: CodeFile[] = [...(await ws.readFiles(SNAPSHOT_LIMITS)).entries()].map(
        ([path, content]) => ({ path, content }),
      );
      return { commit: (await ws.head()) ?? null, files };
    },
    async info(runId): Promise<WorkspaceInfo | null> {
      const dir = dirOf(runId);
      if (!existsSync(join(dir, '.git'))) return null;
      // Informational (status, the run summary, the dossier): a repository the disk or a crash left
      // unreadable is reported as no workspace rather than failing the command that asked.
      try {
        const ws = new Workspace(dir);
        const [head, files, log] = await Promise.all([ws.head(), ws.files(), ws.log()]);
        return { path: ws.dir, head: head ?? null, files, log };
      } catch {
        return null;
      }
    },
    async measure(runId, toolId, { allowlist, recorder, signal }): Promise<MeasureResult> {
      if (!isBuiltinToolId(toolId))
        throw new IdeaMineError(
          ErrorCode.toolNotFound,
          `no tool "${toolId}"; built-in tools: ${Object.keys(builtinTools).join(', ')}`,
        );
      const ws = await open(runId);
      const commit = await ws.head();
      const adapter: RunnerRecorder = {
        refused: (r) => recorder.refused(r.toolId, r.reason),
        record: (invocation) => recorder.record(toRecord(invocation)),
      };
      const tool = builtinTools[toolId];
      // The version is resolved while the tool runs; the span gets `id@version` from its invocation.
      return withSpan(
        `tool ${tool.id}`,
        { [TraceAttr.runId]: runId, 'ideamine.tool_id': tool.id },
        async (span) => {
          const run = await runTool(tool as Parameters<typeof runTool>[0], commit ? { commit } : {}, {
            workspace: ws.dir,
            allowlist,
            recorder: adapter,
            ...(options.sandbox ? { sandbox: options.sandbox } : {}),
            ...(signal ? { signal } : {}),
          });
          span.setAttributes({
            [TraceAttr.tool]: run.invocation.tool,
            'process.exit.code': run.invocation.exitCode ?? -1,
            'ideamine.tool.duration_ms': run.invocation.durationMs,
          });
          return { invocation: toRecord(run.invocation), reports: tool.reports(run.output as never) };
        },
      );
    },
  };
}
