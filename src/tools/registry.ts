import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { a11yCheck } from './adapters/a11y-check.ts';
import { acceptanceRunner } from './adapters/acceptance-runner.ts';
import { dependencyAudit } from './adapters/dependency-audit.ts';
import { loadTest } from './adapters/load-test.ts';
import { sastScan } from './adapters/sast-scan.ts';
import { sbom } from './adapters/sbom.ts';
import { secretScan } from './adapters/secret-scan.ts';
import { testRunner } from './adapters/test-runner.ts';
import { chromiumStatus } from './chromium.ts';
import { probeSandbox } from './sandbox.ts';

const execFileAsync = promisify(execFile);

/** The built-in tools by id: what phase YAML `allowlisted_tools` may name. */
export const builtinTools = {
  'test-runner': testRunner,
  'acceptance-runner': acceptanceRunner,
  'load-test': loadTest,
  'secret-scan': secretScan,
  'sast-scan': sastScan,
  'dependency-audit': dependencyAudit,
  sbom,
  'a11y-check': a11yCheck,
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
  const [git, prlimit, sandbox, chromium] = await Promise.all([
    versionOf('git', ['--version']),
    versionOf('prlimit', ['--version']),
    probeSandbox(),
    chromiumStatus(),
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
    // The accessibility check (a11y-check) drives it; without it that tool fails and says how to install.
    { name: 'chromium', ...chromium },
    ...(await toolVersions()),
  ];
}

/** Each built-in tool as `id@version`: the version a run's reports will carry (a package that did not resolve is not ok). */
async function toolVersions(): Promise<ToolCheck[]> {
  const ctx = {
    workspace: process.cwd(),
    scratchDir: process.cwd(),
    nodePath: process.execPath,
    nodeVersion: process.versions.node,
  };
  return Promise.all(
    Object.values(builtinTools).map(async (tool): Promise<ToolCheck> => {
      try {
        return { name: `tool ${tool.id}`, ok: true, detail: `${tool.id}@${await tool.version(ctx)}` };
      } catch (error) {
        return { name: `tool ${tool.id}`, ok: false, detail: `cannot resolve its version: ${String(error)}` };
      }
    }),
  );
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
