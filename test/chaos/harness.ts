import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { ensureDiagEffectsTable } from '../../src/engine/diag-effect.ts';
import { TimerService } from '../../src/engine/timers.ts';
import { SqlTaskQueue } from '../../src/queue/sql-task-queue.ts';
import type { Database } from '../../src/storage/database.ts';
import { openDatabase } from '../../src/storage/open.ts';
import { BIN, ROOT } from '../support/cli.ts';
import { dropSchema, POSTGRES_URL, uniqueSchema } from '../support/services.ts';
import { type FaultRecord, installAudit } from './checker.ts';

/**
 * The chaos harness: seeded randomness, a fresh Postgres schema per test, real `ideamine worker`
 * processes (optionally wrapped in prlimit or libfaketime) that can be killed, stopped and resumed,
 * bounded waits, and the one-line figures every chaos test prints.
 */

/** CHAOS_SEED replays a run; otherwise a fresh seed, printed with the figures. */
export function chaosSeed(): number {
  const fromEnv = process.env['CHAOS_SEED'];
  if (fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv);
    if (!Number.isInteger(n) || n <= 0)
      throw new Error(`CHAOS_SEED must be a positive integer, got "${fromEnv}"`);
    return n;
  }
  return 1 + Math.floor(Math.random() * 2_000_000_000);
}

/** xorshift32: small, fast and the same on every machine for a given seed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

export function between(random: () => number, min: number, max: number): number {
  return Math.round(min + random() * (max - min));
}

export function printFigures(test: string, figures: Record<string, unknown>): void {
  console.log(`[chaos figures] ${JSON.stringify({ test, ...figures })}`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export interface ChaosSchema {
  schema: string;
  db: Database;
  queue: SqlTaskQueue;
  close(): Promise<void>;
}

/**
 * A migrated, empty schema with the effect table and the checker's audit triggers in place;
 * CHAOS_KEEP=1 keeps it for inspection after the test.
 */
export async function openChaosSchema(prefix: string, url = POSTGRES_URL): Promise<ChaosSchema> {
  const schema = uniqueSchema(`chaos_${prefix}`);
  const db = await openDatabase({ driver: 'postgres', url, schema, poolSize: 4 });
  await ensureDiagEffectsTable(db);
  await installAudit(db);
  return {
    schema,
    db,
    queue: new SqlTaskQueue(db),
    async close() {
      await db.close();
      if (process.env['CHAOS_KEEP'] === '1') console.log(`[chaos] kept schema ${schema}`);
      else if (url === POSTGRES_URL) await dropSchema(schema);
    },
  };
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process whose output is drained (a full pipe would stall it) and whose last lines are kept. */
export class ChaosProcess {
  readonly child: ChildProcess;
  readonly name: string;
  readonly exited: Promise<ProcessExit>;
  exit: ProcessExit | undefined;
  readonly #lines: Array<Record<string, unknown>> = [];
  readonly #waiters: Array<{
    match: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }> = [];
  #stderrTail = '';

  constructor(name: string, command: string, args: string[], env: NodeJS.ProcessEnv) {
    this.name = name;
    this.child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    this.child.stdout?.on('data', (d: Buffer) => {
      pending += d.toString();
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) this.#onLine(line);
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.#stderrTail = (this.#stderrTail + d.toString()).slice(-4_000);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  get stderrTail(): string {
    return this.#stderrTail;
  }

  /** Every JSON line printed so far (progress events of `ideamine run --json`, worker events). */
  get lines(): ReadonlyArray<Record<string, unknown>> {
    return this.#lines;
  }

  #onLine(line: string): void {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (this.#lines.length < 20_000) this.#lines.push(parsed);
    for (const w of [...this.#waiters]) {
      if (w.match(parsed)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  }

  /** Resolves with the first matching JSON line (already printed or still to come). */
  waitForLine(
    match: (l: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<Record<string, unknown>> {
    const seen = this.#lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(`${this.name}: no matching line within ${timeoutMs} ms; stderr: ${this.#stderrTail}`),
        );
      }, timeoutMs);
      this.#waiters.push({
        match,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
      void this.exited.then((e) => {
        clearTimeout(timer);
        reject(
          new Error(
            `${this.name} exited (${e.code ?? e.signal}) before the line; stderr: ${this.#stderrTail}`,
          ),
        );
      });
    });
  }

  async kill9(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGCONT first: a stopped process does not act on SIGKILL until it runs again on some kernels. */
  async destroy(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGCONT');
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** `ideamine <args>` as a ChaosProcess, optionally behind a wrapper (`prlimit …`). */
export function spawnIdeamine(
  name: string,
  args: string[],
  env: Record<string, string | undefined>,
  wrapper: string[] = [],
): ChaosProcess {
  const fullEnv = { ...process.env, IDEAMINE_LOG_LEVEL: 'warn', ...env };
  const [command, ...prefix] = wrapper.length > 0 ? wrapper : [process.execPath];
  const args2 = wrapper.length > 0 ? [...prefix, process.execPath, BIN, ...args] : [BIN, ...args];
  return new ChaosProcess(name, command as string, args2, fullEnv);
}

export interface FleetOptions {
  schema: string;
  leaseMs: number;
  heartbeatMs: number;
  concurrency: number;
  /** Defaults to the shared test Postgres; a proxy's URL routes a worker through it. */
  databaseUrl?: string;
  env?: Record<string, string>;
  wrapper?: string[];
  queues?: string[];
}

export interface ChaosWorker {
  process: ChaosProcess;
  workerId: string;
}

/** Real `ideamine worker` processes, started, killed and restarted by the test. */
export class Fleet {
  readonly #o: FleetOptions;
  readonly workers: ChaosWorker[] = [];
  readonly all: ChaosWorker[] = [];
  #started = 0;

  constructor(options: FleetOptions) {
    this.#o = options;
  }

  get startedCount(): number {
    return this.#started;
  }

  async start(overrides: Partial<FleetOptions> = {}): Promise<ChaosWorker> {
    const o = { ...this.#o, ...overrides, env: { ...this.#o.env, ...overrides.env } };
    const env: Record<string, string> = {
      DATABASE_URL: o.databaseUrl ?? POSTGRES_URL,
      IDEAMINE_PG_SCHEMA: o.schema,
      IDEAMINE_LEASE: String(o.leaseMs),
      IDEAMINE_HEARTBEAT: String(o.heartbeatMs),
      IDEAMINE_DIAG_FAULTS: '1',
      ...o.env,
    };
    const args = ['worker', '--concurrency', String(o.concurrency), '--grace', '1s'];
    if (o.queues) args.push('--queue', ...o.queues);
    this.#started++;
    const proc = spawnIdeamine(`worker-${this.#started}`, args, env, o.wrapper ?? []);
    const line = await proc.waitForLine((l) => l['event'] === 'worker.started', 60_000);
    const worker = { process: proc, workerId: String(line['workerId']) };
    this.workers.push(worker);
    this.all.push(worker);
    return worker;
  }

  alive(): ChaosWorker[] {
    return this.workers.filter((w) => w.process.alive);
  }

  /** Replaces workers that died (poison, OOM) so the work goes on; returns how many it started. */
  async replaceDead(overrides: Partial<FleetOptions> = {}): Promise<number> {
    let n = 0;
    for (const w of [...this.workers]) {
      if (w.process.alive) continue;
      this.workers.splice(this.workers.indexOf(w), 1);
      await this.start(overrides);
      n++;
    }
    return n;
  }

  /** SIGTERM every live worker; returns the counters each printed on its way out (worker.stopped). */
  async stopGracefully(timeoutMs = 15_000): Promise<Array<Record<string, unknown>>> {
    const live = this.alive();
    const stopped = await Promise.all(
      live.map(async (w) => {
        const line = w.process
          .waitForLine((l) => l['event'] === 'worker.stopped', timeoutMs)
          .catch(() => undefined);
        w.process.child.kill('SIGTERM');
        return line;
      }),
    );
    await this.shutdown();
    return stopped.filter((l): l is Record<string, unknown> => l !== undefined);
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.all.map((w) => w.process.destroy()));
  }
}

/** The tasks a worker holds right now: what a kill orphans. */
export async function runningTasksOf(
  db: Database,
  workerId: string,
): Promise<Array<{ taskId: string; attempt: number }>> {
  const rows = await db.query<{ id: string; attempt: number }>(
    `select id, attempt from tasks where state = 'running' and lease_owner = $1`,
    [workerId],
  );
  return rows.map((r) => ({ taskId: r.id, attempt: r.attempt }));
}

/** kill -9 a worker and record the fault with the tasks it orphaned. */
export async function killWorker(
  db: Database,
  worker: ChaosWorker,
  kind: FaultRecord['kind'] = 'kill',
): Promise<FaultRecord> {
  const orphans = await runningTasksOf(db, worker.workerId);
  const at = Date.now();
  await worker.process.kill9();
  return { kind, at, workerId: worker.workerId, orphans };
}

export async function countByState(db: Database): Promise<Record<string, number>> {
  const rows = await db.query<{ state: string; n: number }>(
    'select state, count(*)::int as n from tasks group by state',
  );
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

export async function unfinished(db: Database): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `select count(*)::int as n from tasks where state in ('ready', 'running')`,
  );
  return rows[0]?.n ?? 0;
}

/** Peak resident set size of a process (VmHWM), in MB; undefined once it has exited. */
export function peakRssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export const isCi = process.env['CI'] === 'true';

/**
 * `npm run test:chaos` sets CHAOS_FULL=1: the same tests with more tasks, faults and time. The CI
 * subset inside `npm test` runs them small, beside every other suite, on two cores.
 */
export const isFull = process.env['CHAOS_FULL'] === '1';
export const scaled = <T>(ci: T, full: T): T => (isFull ? full : ci);

/** The libfaketime preload library, if installed (Debian: apt-get install faketime). */
export function findLibfaketime(): string | undefined {
  const candidates = [
    '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1',
    '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1',
    '/usr/lib/faketime/libfaketimeMT.so.1',
    '/usr/local/lib/faketime/libfaketimeMT.so.1',
  ];
  return candidates.find((p) => existsSync(p));
}

/**
 * A tool from a Debian package: present → true. Missing under CI=true → throws (.ci/run must install
 * it). Missing elsewhere → tries `apt-get install -y <package>` when running as root, else skips
 * with the reason printed.
 */
export function ensureAptTool(what: string, present: () => boolean, aptPackage: string): boolean {
  if (present()) return true;
  if (isCi) throw new Error(`${what} is missing and CI=true: .ci/run must apt-get install ${aptPackage}`);
  if (process.getuid?.() === 0) {
    const result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', aptPackage], {
      stdio: 'ignore',
      timeout: 180_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (result.status === 0 && present()) return true;
  }
  console.warn(`[skip] ${what} is missing (apt-get install ${aptPackage}); its chaos test is skipped`);
  return false;
}

const TIMER_FIXTURE = new URL('./fixtures/timer-process.ts', import.meta.url).pathname;

/** A process firing durable timers of the schema (see fixtures/timer-process.ts). */
export async function startTimerProcess(
  schema: string,
  env: Record<string, string> = {},
  databaseUrl = POSTGRES_URL,
): Promise<ChaosProcess> {
  const proc = new ChaosProcess('timers', process.execPath, [TIMER_FIXTURE], {
    ...process.env,
    DATABASE_URL: databaseUrl,
    IDEAMINE_PG_SCHEMA: schema,
    ...env,
  });
  await proc.waitForLine((l) => l['event'] === 'timers.started', 60_000);
  return proc;
}

/** Schedules `count` custom timers due `fromMs`..`toMs` from now, through TimerService.schedule. */
export async function scheduleTimers(
  db: Database,
  count: number,
  fromMs: number,
  toMs: number,
  random: () => number,
): Promise<void> {
  const service = new TimerService({ db, handlers: {} });
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    await service.schedule({
      key: `chaos-timer-${i}`,
      kind: 'custom',
      fireAt: new Date(now + between(random, fromMs, toMs)),
    });
  }
}
