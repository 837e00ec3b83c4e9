import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { ProcessResult } from './tool.ts';

/**
 * Runs one child process with a time limit and bounded output. The child leads its own process
 * group, and at the limit the whole tree is killed with SIGKILL: the group, plus every descendant
 * found through /proc (a child that called setsid has left the group but is still a descendant).
 */

export interface SpawnBoundedOptions {
  argv: readonly string[];
  env: Record<string, string>;
  cwd: string;
  timeoutMs: number;
  /** Bytes kept from the start and from the end of each stream. */
  headBytes: number;
  tailBytes: number;
  signal?: AbortSignal;
}

export type RawProcessResult = Omit<ProcessResult, 'outOfMemory'>;

/** After the main process exits, how long its pipes may stay open (held by a leftover grandchild). */
const PIPE_DRAIN_MS = 2_000;

export function spawnBounded(options: SpawnBoundedOptions): Promise<RawProcessResult> {
  const [command, ...args] = options.argv;
  if (command === undefined) throw new Error('spawnBounded: empty argv');
  const started = performance.now();
  const hash = createHash('sha256');
  const stdout = new BoundedBuffer(options.headBytes, options.tailBytes);
  const stderr = new BoundedBuffer(options.headBytes, options.tailBytes);
  const stderrChunks: Buffer[] = [];

  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    let exit: { code: number | null; signal: string | null } | undefined;
    let settled = false;
    const kill = (): void => {
      if (child.pid !== undefined) killTree(child.pid);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    const onAbort = (): void => kill();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      stdout.push(chunk);
    });
    // stderr is hashed after stdout so the hash does not depend on how the two streams interleave.
    child.stderr.on('data', (chunk: Buffer) => {
      stderrChunks.push(createHash('sha256').update(chunk).digest());
      stderr.push(chunk);
    });

    const finish = (): void => {
      if (settled || exit === undefined) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      for (const digest of stderrChunks) hash.update(digest);
      resolve({
        exitCode: exit.code,
        signal: exit.signal,
        timedOut,
        durationMs: Math.round(performance.now() - started),
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdoutBytes: stdout.total,
        stderrBytes: stderr.total,
        outputHash: hash.digest('hex'),
      });
    };

    child.on('error', (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      settled = true;
      reject(error);
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Tools must not leave processes behind: whatever is left of the group goes now.
      if (child.pid !== undefined) killGroup(child.pid);
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, PIPE_DRAIN_MS).unref();
    });
    child.on('close', finish);
  });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** SIGKILL a process, its group and all its descendants (collected before killing anything). */
export function killTree(pid: number): void {
  const victims = descendantsOf(pid);
  killGroup(pid);
  for (const victim of [pid, ...victims]) {
    try {
      process.kill(victim, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may contain spaces: fields resume after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const next = queue.shift()!;
    for (const child of children.get(next) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Keeps the first `headBytes` and the last `tailBytes` of a stream. */
export class BoundedBuffer {
  readonly #head: Buffer[] = [];
  #headSize = 0;
  #tail: Buffer[] = [];
  #tailSize = 0;
  readonly headBytes: number;
  readonly tailBytes: number;
  total = 0;

  constructor(headBytes: number, tailBytes: number) {
    this.headBytes = headBytes;
    this.tailBytes = tailBytes;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.#headSize < this.headBytes) {
      const take = Math.min(this.headBytes - this.#headSize, rest.length);
      this.#head.push(rest.subarray(0, take));
      this.#headSize += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0 || this.tailBytes === 0) return;
    this.#tail.push(rest);
    this.#tailSize += rest.length;
    while (this.#tail.length > 1 && this.#tailSize - this.#tail[0]!.length >= this.tailBytes) {
      this.#tailSize -= this.#tail.shift()!.length;
    }
  }

  text(): string {
    const head = Buffer.concat(this.#head).toString('utf8');
    let tail = Buffer.concat(this.#tail);
    if (tail.length > this.tailBytes) tail = tail.subarray(tail.length - this.tailBytes);
    const dropped = this.total - this.#headSize - tail.length;
    if (dropped <= 0) return head + tail.toString('utf8');
    return `${head}\n… [${dropped} bytes dropped] …\n${tail.toString('utf8')}`;
  }
}
