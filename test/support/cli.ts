import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/ideamine.js', import.meta.url));
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ideamine <args>` with the Node running the tests (the pinned Node 24) and waits for it. */
export async function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 120_000,
): Promise<CliResult> {
  const child = spawnCli(args, env);
  const output = captureOutput(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

/** Collects a child's stdout and stderr as they arrive. */
export function captureOutput(child: ChildProcess): { stdout(): string; stderr(): string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return { stdout: () => stdout, stderr: () => stderr };
}

export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, IDEAMINE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the first JSON line on stdout that matches. */
export function waitForJsonLine(
  child: ChildProcess,
  match: (line: Record<string, unknown>) => boolean,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    if (!child.stdout) return reject(new Error('no stdout'));
    const rl = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error('timed out waiting for a JSON line')), timeoutMs);
    rl.on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (match(parsed)) {
          clearTimeout(timer);
          resolve(parsed);
        }
      } catch {
        // not JSON: ignore
      }
    });
    child.once('exit', () => reject(new Error('process exited before the expected line')));
  });
}
