import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SandboxInfo } from './tool.ts';

const execFileAsync = promisify(execFile);

/**
 * The bubblewrap sandbox. Installed is not enough: bwrap needs user namespaces (or root), which
 * containers often deny, so we probe with the same namespace flags a tool run uses and fall back to
 * running unsandboxed, saying why. The probe's answer does not change while the process lives: cached.
 */

export const BWRAP = 'bwrap';

let probe: Promise<SandboxInfo> | undefined;

export function probeSandbox(): Promise<SandboxInfo> {
  probe ??= runProbe();
  return probe;
}

async function runProbe(): Promise<SandboxInfo> {
  let version: string;
  try {
    const { stdout } = await execFileAsync(BWRAP, ['--version'], { timeout: 10_000 });
    version = stdout.trim().replace(/^bubblewrap\s+/, '');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      kind: 'none',
      reason: code === 'ENOENT' ? 'bwrap is not installed' : `bwrap --version failed: ${String(error)}`,
    };
  }
  try {
    await execFileAsync(BWRAP, [...baseArgs(), '--', 'true'], { timeout: 10_000 });
    return { kind: 'bwrap', version };
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    return {
      kind: 'none',
      reason: `bwrap ${version} is installed but its probe failed: ${stderr || String(error)}`,
    };
  }
}

/** `network: true` keeps the host's network (no `--unshare-net`); everything else stays. */
function baseArgs(network = false): string[] {
  return [
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    ...(network ? [] : ['--unshare-net']),
    '--unshare-pid',
    '--die-with-parent',
  ];
}

export interface SandboxArgsOptions {
  writableDirs: readonly string[];
  /**
   * Directories the tool must be able to read even when they lie under /tmp, which the sandbox
   * replaces with a private tmpfs: IdeaMine's own install (the tool drivers, node_modules) and the
   * pinned Node. A checkout in /tmp (a CI clone, say) would otherwise vanish inside the sandbox.
   */
  readableDirs?: readonly string[];
  cwd: string;
  /** Size of the sandbox's private /tmp: it lives in RAM, so it counts against the memory budget. */
  tmpSizeMb: number;
  /** Keep the network (`ToolPlan.network`): only for a tool whose measurement is a registry query. */
  network?: boolean;
}

/** The bwrap prefix for one tool run; the tool's argv follows. */
export function sandboxArgs(options: SandboxArgsOptions): string[] {
  const args = [
    BWRAP,
    ...baseArgs(options.network),
    '--size',
    String(options.tmpSizeMb * 1024 * 1024),
    '--tmpfs',
    '/tmp',
  ];
  // After the tmpfs: what lies under /tmp is mounted back on top of it, read-only first, then the
  // writable dirs (a workspace inside a read-only dir stays writable: the later mount wins).
  for (const dir of new Set(options.readableDirs ?? []))
    if (isUnderTmp(dir)) args.push('--ro-bind', dir, dir);
  for (const dir of options.writableDirs) args.push('--bind', dir, dir);
  args.push('--chdir', options.cwd, '--');
  return args;
}

function isUnderTmp(dir: string): boolean {
  return dir === '/tmp' || dir.startsWith('/tmp/');
}
