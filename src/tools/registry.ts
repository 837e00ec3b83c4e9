import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { acceptanceRunner } from './adapters/acceptance-runner.ts';
import { loadTest } from './adapters/load-test.ts';
import { testRunner } from './adapters/test-runner.ts';
import { probeSandbox } from './sandbox.ts';

const execFileAsync = promisify(execFile);

/** The built-in tools by id: what phase YAML `allowlisted_tools` may name. */
export const builtinTools = {
  'test-runner': testRunner,
  'acceptance-runner': acceptanceRunner,
  'load-test': loadTest,
} as const;

export type BuiltinToolId = keyof typeof builtinTools;

export function isBuiltinToolId(id: string): id is BuiltinToolId {
  return Object.hasOwn(builtinTools, id);
}

export interface ToolCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * For `ideamine doctor`. git (the workspace) and prlimit (memory limits) are required; bubblewrap is
 * optional: without it tools run unsandboxed and every invocation records why, so it is ok either way,
 * and the detail says which.
 */
export async function checkTools(): Promise<ToolCheck[]> {
  const [git, prlimit, sandbox] = await Promise.all([
    versionOf('git', ['--version']),
    versionOf('prlimit', ['--version']),
    probeSandbox(),
  ]);
  return [
    { name: 'node', ok: true, detail: `${process.versions.node} (${process.execPath})` },
    { name: 'git', ok: git.ok, detail: git.ok ? git.detail : `required: ${git.detail}` },
    { name: 'prlimit', ok: prlimit.ok, detail: prlimit.ok ? prlimit.detail : `required: ${prlimit.detail}` },
    {
      name: 'bwrap',
      ok: true,
      detail:
        sandbox.kind === 'bwrap'
          ? `bubblewrap ${sandbox.version}: sandbox probe works`
          : `tools will run unsandboxed: ${sandbox.reason}`,
    },
  ];
}

async function versionOf(command: string, args: string[]): Promise<{ ok: boolean; detail: string }> {
  try {
    const { stdout } = await execFileAsync(command, args, { timeout: 10_000 });
    return { ok: true, detail: stdout.trim().split('\n')[0] ?? '' };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { ok: false, detail: code === 'ENOENT' ? `${command} is not installed` : String(error) };
  }
}
