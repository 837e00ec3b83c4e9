import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidInput } from '../core/errors.ts';
import { canonicalJson, sha256 } from '../core/ids.ts';
import { toolEnv, toolPath } from './environment.ts';
import { ToolFailedError, ToolNotFoundError, ToolRefusedError } from './errors.ts';
import {
  computeLimits,
  isNodeCommand,
  looksOutOfMemory,
  prlimitArgs,
  withoutAddressSpaceLimit,
} from './limits.ts';
import { spawnBounded } from './process.ts';
import { probeSandbox, sandboxArgs } from './sandbox.ts';
import type { SandboxInfo, Tool, ToolContext, ToolInvocation, ToolRecorder, ToolRun } from './tool.ts';

export interface RunToolOptions {
  workspace: string;
  /** The phase's `allowlisted_tools`: tool ids without versions. */
  allowlist: readonly string[];
  recorder: ToolRecorder;
  /** `'off'` runs unsandboxed and records that it was asked to; `'auto'` uses bwrap when it works. */
  sandbox?: 'auto' | 'off';
  /** Override the tool's own limits (tests, or a phase's stricter budget). */
  timeoutMs?: number;
  memoryMb?: number;
  /** Bytes of stdout and of stderr kept from each end. */
  outputHeadBytes?: number;
  outputTailBytes?: number;
  signal?: AbortSignal;
}

const DEFAULT_KEEP_BYTES = 64 * 1024;

/** IdeaMine's own install: the tool drivers and node_modules live here. */
const INSTALL_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/**
 * Runs one tool invocation: allowlist, input validation, limits, sandbox, scrubbed environment,
 * bounded output, typed report; then hands the invocation to the recorder before returning, so that
 * nothing a tool did goes unrecorded.
 */
export async function runTool<I, O>(
  tool: Tool<I, O>,
  rawInput: unknown,
  options: RunToolOptions,
): Promise<ToolRun<O>> {
  if (!options.allowlist.includes(tool.id)) {
    await options.recorder.refused({
      toolId: tool.id,
      allowlist: options.allowlist,
      reason: 'not in the phase allowlist',
    });
    throw new ToolRefusedError(tool.id, options.allowlist);
  }
  const parsedInput = tool.input.safeParse(rawInput);
  if (!parsedInput.success) {
    throw invalidInput(`tool ${tool.id}: invalid input: ${parsedInput.error.message}`);
  }
  const input = parsedInput.data;
  const workspace = await realpath(options.workspace);
  const scratchDir = await mkdtemp(join(tmpdir(), 'ideamine-tool-'));
  try {
    const ctx: ToolContext = {
      workspace,
      scratchDir,
      nodePath: process.execPath,
      nodeVersion: process.versions.node,
    };
    return await runPlanned(tool, input, ctx, options);
  } finally {
    await rm(scratchDir, { recursive: true, force: true });
  }
}

async function runPlanned<I, O>(
  tool: Tool<I, O>,
  input: I,
  ctx: ToolContext,
  options: RunToolOptions,
): Promise<ToolRun<O>> {
  const version = await tool.version(ctx);
  const ref = `${tool.id}@${version}`;
  const plan = await tool.plan(input, ctx);
  const home = join(ctx.scratchDir, 'home');
  const tmp = join(ctx.scratchDir, 'tmp');
  await mkdir(home, { recursive: true });
  await mkdir(tmp, { recursive: true });

  const path = toolPath(ctx.nodePath);
  const cwd = plan.cwd ?? ctx.workspace;
  const command = await resolveExecutable(plan.command, plan.env?.['PATH'] ?? path, cwd, tool.id);
  const prlimit = await resolveExecutable('prlimit', path, cwd, tool.id);
  const node = isNodeCommand(command, ctx.nodePath);
  const base = computeLimits(options.timeoutMs ?? plan.timeoutMs, options.memoryMb ?? plan.memoryMb, node);
  const limits = plan.addressSpace === 'unbounded' ? withoutAddressSpaceLimit(base) : base;
  const writableDirs = [...(plan.writableDirs ?? [ctx.workspace]), ctx.scratchDir];
  const sandbox: SandboxInfo =
    options.sandbox === 'off'
      ? { kind: 'none', reason: 'sandbox turned off by the caller (sandbox: off)' }
      : await probeSandbox();
  const wrapper =
    sandbox.kind === 'bwrap'
      ? sandboxArgs({
          writableDirs,
          // The workspace too: a plan that keeps it read-only (writableDirs without it) still reads it.
          readableDirs: [
            INSTALL_ROOT,
            ctx.workspace,
            dirname(await realpath(process.execPath)),
            dirname(command),
          ],
          cwd,
          tmpSizeMb: limits.memoryMb,
          network: plan.network === true,
        })
      : [];
  const argv = [...prlimitArgs(prlimit, limits), ...wrapper, command, ...plan.args];
  const env = toolEnv({
    nodePath: ctx.nodePath,
    home,
    tmpDir: tmp,
    ...(plan.env ? { additions: plan.env } : {}),
    ...(limits.heapMb === undefined ? {} : { nodeOptions: `--max-old-space-size=${limits.heapMb}` }),
  });

  const startedAt = new Date().toISOString();
  const raw = await spawnBounded({
    argv,
    env,
    cwd,
    timeoutMs: limits.timeoutMs,
    headBytes: options.outputHeadBytes ?? DEFAULT_KEEP_BYTES,
    tailBytes: options.outputTailBytes ?? DEFAULT_KEEP_BYTES,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const result = { ...raw, outOfMemory: looksOutOfMemory(raw.stderr, raw.stdout) };
  const invocation: ToolInvocation = {
    tool: ref,
    toolId: tool.id,
    toolVersion: version,
    inputHash: sha256(canonicalJson(input)),
    command: [plan.command, ...plan.args].map(shellQuote).join(' '),
    argv,
    exitCode: result.exitCode,
    signal: result.signal,
    durationMs: result.durationMs,
    timedOut: result.timedOut,
    outOfMemory: result.outOfMemory,
    outputHash: result.outputHash,
    sandbox,
    ...(plan.network === true ? { network: true as const } : {}),
    limits,
    startedAt,
  };

  let output: O;
  try {
    output = tool.output.parse(await tool.parse(result, input, { ...ctx, ref }));
  } catch (error) {
    const failure = new ToolFailedError(ref, `could not read the tool's output: ${describe(error)}`, error);
    await options.recorder.record({ ...invocation, error: failure.message }, undefined);
    throw failure;
  }
  const recorded = { ...invocation, reportHash: sha256(canonicalJson(output)) };
  await options.recorder.record(recorded, output);
  return { output, invocation: recorded };
}

/** An absolute path must be executable; a bare name is looked up on the tool's PATH. */
export async function resolveExecutable(
  command: string,
  path: string,
  cwd: string,
  toolId?: string,
): Promise<string> {
  const candidates = command.includes('/')
    ? [resolve(cwd, command)]
    : path.split(delimiter).map((d) => join(d, command));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Try the next directory.
    }
  }
  throw new ToolNotFoundError(command, toolId);
}

export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
