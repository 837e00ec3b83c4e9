// Shared by the sbom and dependency-audit drivers, which run npm (the pinned one, on the pinned Node)
// inside the sandbox. npm reads the manifest and lock file of a copy in the scratch dir, never of the
// workspace: the workspace is not modified (it is mounted read-only) and its own .npmrc, which could
// point npm elsewhere or run scripts, is not used.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const LOCK_FILES = ['npm-shrinkwrap.json', 'package-lock.json'];

/** Output kept per stream: npm audit's JSON of a large tree runs to megabytes; stderr only for errors. */
const STDOUT_LIMIT = 64 * 1024 * 1024;
const STDERR_TAIL = 16 * 1024;

/** Runs a command to completion: exit code, signal, stdout (bounded) and the tail of stderr. */
export function runCaptured(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let outBytes = 0;
    let stderr = '';
    child.stdout.on('data', (d) => {
      if (outBytes < STDOUT_LIMIT) out.push(d);
      outBytes += d.length;
    });
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-STDERR_TAIL);
    });
    child.on('error', (error) => resolve({ code: 127, signal: null, stdout: '', stderr: String(error) }));
    child.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr,
        truncated: outBytes > STDOUT_LIMIT,
      }),
    );
  });
}

/** npm's CLI on this Node: `node npm-cli.js <args>` in `cwd`. */
export function npm(npmCli, args, cwd) {
  return runCaptured(process.execPath, [npmCli, ...args], { cwd, env: process.env });
}

/**
 * npm's JSON error (`--json` prints `{ error: { code, summary, detail } }`; `npm audit --json` prints
 * `{ message, statusCode?, error: { summary, detail } }`) → `{ code, summary }`, or undefined when the
 * output is not one (npm crashed).
 */
export function npmError(stdout) {
  let parsed;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const error = parsed?.error;
  if (error === undefined || error === null || typeof error !== 'object') return undefined;
  const summary = [parsed.message, error.summary, error.detail]
    .filter((s) => typeof s === 'string' && s.trim() !== '')
    .join(' — ')
    .slice(0, 2000);
  const code =
    (typeof error.code === 'string' && error.code) ||
    (typeof parsed.code === 'string' && parsed.code) ||
    (typeof parsed.statusCode === 'number' && `E${parsed.statusCode}`) ||
    /\b(E[A-Z][A-Z0-9_]{2,}|[A-Z_]*CERT[A-Z_]*)\b/.exec(summary)?.[1] ||
    'EUNKNOWN';
  return { code, summary: summary || 'no message' };
}

/**
 * Copies `package.json` and the lock file (npm-shrinkwrap.json or package-lock.json) of the workspace
 * into `<scratch>/project`. Without a lock file, npm resolves one there (`install --package-lock-only
 * --ignore-scripts`: no download, no script); for a project with dependencies that needs the registry.
 * Returns `{ dir, lockFile, generated }`, or `{ error: { code, summary } }` when npm could not resolve.
 */
export async function prepareProject({ workspace, scratch, npmCli }) {
  if (!existsSync(join(workspace, 'package.json'))) {
    return { error: { code: 'ENOENT', summary: 'the workspace has no package.json' } };
  }
  const dir = join(scratch, 'project');
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(workspace, 'package.json'), join(dir, 'package.json'));
  const lock = LOCK_FILES.find((file) => existsSync(join(workspace, file)));
  if (lock !== undefined) {
    copyFileSync(join(workspace, lock), join(dir, lock));
    return { dir, lockFile: lock, generated: false };
  }
  const run = await npm(
    npmCli,
    ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--json'],
    dir,
  );
  if (run.code === 0 && existsSync(join(dir, 'package-lock.json'))) {
    return { dir, lockFile: 'package-lock.json', generated: true };
  }
  const error = npmError(run.stdout);
  if (error !== undefined) return { error };
  throw new Error(
    `npm install --package-lock-only failed (exit code ${run.code}${run.signal ? `, signal ${run.signal}` : ''}): ${run.stderr.trim()}`,
  );
}
