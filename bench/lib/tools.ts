import { spawn } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { procCpuMs } from './cpu.ts';

/**
 * External tools for the physical floors (pgbench, redis-benchmark, pg_test_fsync). A missing tool
 * is reported as "n/a (not installed)", never as a failure.
 */

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds a tool on PATH or in Debian's versioned Postgres bin directories. */
export function findTool(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const path = join('/usr/lib/postgresql', v, 'bin', name);
      if (executable(path)) return path;
    }
  } catch {
    // no Debian Postgres layout
  }
  return undefined;
}

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** CPU of the tool's own process (last /proc sample before it exited, ≤ 100 ms short). */
  cpuMs: number;
  wallMs: number;
}

export interface ToolOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  input?: string;
  /** Stop the tool early once its output contains this (pg_test_fsync's first section is enough). */
  stopWhen?: RegExp;
}

export function runTool(path: string, args: readonly string[], options: ToolOptions): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(path, args, {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let cpuMs = 0;
    const pid = child.pid;
    const sampler = setInterval(() => {
      if (pid !== undefined) cpuMs = procCpuMs(pid) ?? cpuMs;
    }, 100);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (options.stopWhen?.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', (error) => {
      clearInterval(sampler);
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearInterval(sampler);
      clearTimeout(timer);
      resolve({ code, stdout, stderr, cpuMs, wallMs: performance.now() - started });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}
