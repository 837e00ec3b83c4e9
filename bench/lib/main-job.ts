import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * One main job exactly as a user starts it: `ideamine run "<idea>"` (bin/ideamine.js, the real
 * orchestrator, all 13 phases, the deterministic offline model) in a fresh IDEAMINE_HOME, on the
 * embedded database or on Postgres. Measured from outside the process:
 * - wall time from spawn to exit, and from spawn to the first `phase.started` event (start-up);
 * - peak RSS of the ideamine process itself (VmHWM from /proc, the kernel's own high-water mark;
 *   bin/ideamine.js re-executes itself in place, same pid) — children such as Chromium are not
 *   included;
 * - phases started and completed, from the events the command prints (one JSON line each).
 */

export const MAIN_JOB_IDEA = 'A shared todo app for small teams';
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'ideamine.js');

export interface MainJobOptions {
  driver: 'pglite' | 'postgres';
  /** Postgres only: the server and a schema of its own (created by the command's migrations). */
  pgUrl?: string;
  schema?: string;
  timeoutMs: number;
}

export interface MainJobResult {
  exitCode: number | null;
  timedOut: boolean;
  wallMs: number;
  /** Process start → first `phase.started` (null if no phase started). */
  startupMs: number | null;
  peakRssBytes: number | null;
  phasesStarted: number;
  phasesCompleted: number;
  agentTasks: number;
  finalEvent: string | null;
  stderrTail: string;
}

function vmHwmBytes(pid: number): number | null {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

export async function runMainJob(options: MainJobOptions): Promise<MainJobResult> {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-bench-home-'));
  const env: NodeJS.ProcessEnv = { ...process.env, IDEAMINE_HOME: home };
  delete env['DATABASE_URL'];
  if (options.driver === 'postgres') {
    if (!options.pgUrl || !options.schema) throw new Error('postgres main job needs pgUrl and schema');
    env['DATABASE_URL'] = options.pgUrl;
    env['IDEAMINE_PG_SCHEMA'] = options.schema;
  }
  const spawnedAt = Date.now();
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'run', MAIN_JOB_IDEA], {
    cwd: home,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let peak: number | null = null;
  const sample = () => {
    const v = child.pid === undefined ? null : vmHwmBytes(child.pid);
    if (v !== null) peak = Math.max(peak ?? 0, v);
  };
  const sampler = setInterval(sample, 50);
  let firstPhaseAt: number | null = null;
  let phasesStarted = 0;
  let phasesCompleted = 0;
  let agentTasks = 0;
  let finalEvent: string | null = null;
  createInterface({ input: child.stdout }).on('line', (line) => {
    sample();
    let event: { type?: string; at?: string };
    try {
      event = JSON.parse(line) as { type?: string; at?: string };
    } catch {
      return;
    }
    if (event.type === 'phase.started') {
      phasesStarted++;
      if (firstPhaseAt === null && event.at) firstPhaseAt = Date.parse(event.at);
    } else if (event.type === 'phase.complete') phasesCompleted++;
    else if (event.type === 'phase.agent.complete') agentTasks++;
    if (event.type?.startsWith('run.')) finalEvent = event.type;
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2_000);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  clearInterval(sampler);
  const wallMs = performance.now() - t0;
  rmSync(home, { recursive: true, force: true });
  return {
    exitCode,
    timedOut,
    wallMs,
    startupMs: firstPhaseAt === null ? null : firstPhaseAt - spawnedAt,
    peakRssBytes: peak,
    phasesStarted,
    phasesCompleted,
    agentTasks,
    finalEvent,
    stderrTail: stderr.trim().split('\n').slice(-3).join(' | '),
  };
}
