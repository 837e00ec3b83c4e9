import type { z } from 'zod';

/**
 * The `Tool` port. A tool is a pure description: `plan` says which command to run for an input, the
 * runner runs it under limits and in the sandbox, and `parse` turns what the process did into a typed,
 * schema-checked report. Keeping the process out of the tool means every tool gets the same limits,
 * sandbox, environment scrubbing and recording, and a tool can be tested by its parse alone.
 */

export interface ToolContext {
  /** The run's workspace (absolute): the tool's working directory and normally its only writable dir. */
  workspace: string;
  /** A private directory for this invocation (HOME, reports, data files), writable, removed afterwards. */
  scratchDir: string;
  /** The pinned Node binary (`process.execPath`). */
  nodePath: string;
  /** Its version without the `v`, e.g. `24.21.0`. */
  nodeVersion: string;
}

export interface ToolPlan {
  /** An absolute path or a name looked up on the scrubbed PATH. */
  command: string;
  args: readonly string[];
  /** Added to the scrubbed environment (never inherited from the parent). */
  env?: Readonly<Record<string, string>>;
  /** Defaults to the workspace. */
  cwd?: string;
  timeoutMs: number;
  memoryMb: number;
  /** Directories the tool may write (besides its scratch dir); defaults to the workspace only. */
  writableDirs?: readonly string[];
  /**
   * Keep the network: the sandbox does not unshare it (everything else of the sandbox stays). Only for
   * a tool whose measurement is a registry query (dependency-audit); the invocation records it.
   */
  network?: boolean;
  /**
   * `'unbounded'` leaves RLIMIT_AS off (RLIMIT_DATA still applies). For programs whose address-space
   * reservations dwarf their memory: Chromium reserves ~53 GB per browser process and ~1.5 TB per
   * renderer while using ~300 MB, and dies at launch under a 10-32 GB cap (measured in a11y-check.ts).
   */
  addressSpace?: 'bounded' | 'unbounded';
}

export interface ProcessResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The process (or one of its Node children) ran out of its memory limit. */
  outOfMemory: boolean;
  durationMs: number;
  /** Bounded: the first and last KBs of each stream, with a marker where bytes were dropped. */
  stdout: string;
  stderr: string;
  stdoutBytes: number;
  stderrBytes: number;
  /** sha256 of the complete stdout followed by the complete stderr. */
  outputHash: string;
}

export interface Tool<I, O> {
  /** Stable id, as phase YAML `allowlisted_tools` names it (no version). */
  readonly id: string;
  /** Resolved at run time (the Node version, a package version...): `ref` is `id@version`. */
  version(ctx: ToolContext): string | Promise<string>;
  readonly input: z.ZodType<I>;
  readonly output: z.ZodType<O>;
  plan(input: I, ctx: ToolContext): ToolPlan | Promise<ToolPlan>;
  parse(result: ProcessResult, input: I, ctx: ToolContext & { ref: string }): O | Promise<O>;
  /** The typed reports the output becomes, one artifact each (`type` is the artifact type). */
  reports(output: O): Array<{ type: string; content: unknown }>;
}

export type SandboxInfo = { kind: 'bwrap'; version: string } | { kind: 'none'; reason: string };

export interface ToolLimits {
  timeoutMs: number;
  memoryMb: number;
  /** V8 old-space cap passed to every Node process of the tool (NODE_OPTIONS), when the tool is Node. */
  heapMb?: number;
  /** RLIMIT_DATA per process (writable private memory). */
  dataMb: number;
  /**
   * RLIMIT_AS per process: a backstop for what RLIMIT_DATA does not count (shared mappings). Absent
   * when the plan asked for `addressSpace: 'unbounded'`.
   */
  addressSpaceMb?: number;
}

export interface ToolInvocation {
  /** `id@version`. */
  tool: string;
  toolId: string;
  toolVersion: string;
  /** sha256 of the validated input as canonical JSON. */
  inputHash: string;
  /** The tool's own command line (shell-quoted), without the limit and sandbox wrappers. */
  command: string;
  /** Everything that was executed, wrappers included. */
  argv: string[];
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  timedOut: boolean;
  outOfMemory: boolean;
  outputHash: string;
  /** sha256 of the parsed report as canonical JSON (absent when parsing failed). */
  reportHash?: string;
  sandbox: SandboxInfo;
  /** Set when the plan kept the network (`ToolPlan.network`). */
  network?: true;
  limits: ToolLimits;
  startedAt: string;
  /** Set when the tool ran but its output could not be turned into a report. */
  error?: string;
}

export interface ToolRefusal {
  toolId: string;
  allowlist: readonly string[];
  reason: string;
}

/** Supplied by the caller (the orchestrator writes ledger entries, provenance and `tools_minutes`). */
export interface ToolRecorder {
  record(invocation: ToolInvocation, output: unknown): Promise<void>;
  refused(refusal: ToolRefusal): Promise<void>;
}

export interface ToolRun<O> {
  output: O;
  invocation: ToolInvocation;
}
