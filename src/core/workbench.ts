/**
 * The port between the orchestrator and the run's workspace: a git repository of real code that
 * phases change by committing, and on which tools measure. The orchestrator drives it; `src/tools`
 * implements it (git, child processes, sandbox); the composition root wires the two.
 */

export interface CodeFile {
  /** Relative POSIX path inside the workspace. */
  path: string;
  content: string;
}

export interface WorkspaceState {
  path: string;
  /** The commit the working tree is at, or null before the first commit. */
  head: string | null;
}

export interface WorkspaceInfo extends WorkspaceState {
  files: Array<{ path: string; bytes: number }>;
  /** Newest first; `body` is the message after the subject line. */
  log: Array<{ sha: string; subject: string; body: string }>;
}

/** One tool run as the ledger, provenance and the tools_minutes budget see it. */
export interface ToolInvocationRecord {
  /** `id@version`. */
  tool: string;
  toolId: string;
  version: string;
  inputHash: string;
  command: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  timedOut: boolean;
  outputHash: string;
  /** `bwrap <version>` or `none: <why>`: whether the tool ran sandboxed. */
  sandbox: string;
  limits: { timeoutMs: number; memoryMb: number };
}

/** Where the orchestrator records tool runs: refusals and invocations (ledger, budget). */
export interface ToolRecorder {
  refused(toolId: string, reason: string): Promise<void>;
  record(invocation: ToolInvocationRecord): Promise<void>;
}

/** A typed report a tool produced, to be stored as an artifact with provenance `source: 'tool'`. */
export interface ToolReport {
  /** Artifact type: `TestReport`, `MeasuredCoverage`, `AcceptanceRun`. */
  type: string;
  content: unknown;
}

export interface MeasureResult {
  invocation: ToolInvocationRecord;
  reports: ToolReport[];
}

export interface Workbench {
  /** Opens (creating) the run's workspace; a torn working tree (a crash mid-write) is reset to the last commit. */
  prepare(runId: string): Promise<WorkspaceState & { discarded: string[] }>;
  /** Writes files (and removes `deletions`), then commits; `commit` is null when nothing changed. */
  apply(
    runId: string,
    change: { files: readonly CodeFile[]; deletions?: readonly string[]; message: string },
  ): Promise<{ commit: string | null }>;
  /** The tracked text files at HEAD, for agents that change code (bounded). */
  snapshot(runId: string): Promise<{ commit: string | null; files: CodeFile[] }>;
  /** Null when the run has no workspace (yet). */
  info(runId: string): Promise<WorkspaceInfo | null>;
  /** Runs one tool on the workspace; refuses a tool not in `allowlist` (recorded, then thrown). */
  measure(
    runId: string,
    toolId: string,
    options: { allowlist: readonly string[]; recorder: ToolRecorder; signal?: AbortSignal },
  ): Promise<MeasureResult>;
}
