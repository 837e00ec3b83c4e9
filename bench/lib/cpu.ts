import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { CpuFigures } from './record.ts';

/**
 * CPU accounting over a measurement window.
 * - This process: `process.cpuUsage()` (clients and in-process workers).
 * - Postgres: every 200 ms, list the backends attached to the benchmark's database
 *   (`pg_stat_activity.datname`) and read utime+stime from /proc/<pid>/stat. A backend that exits
 *   between two samples loses at most its last 200 ms; background processes (WAL writer,
 *   checkpointer) are not counted. Needs the server on this machine and /proc readable.
 * - Redis: `INFO cpu` of the whole server before and after (only the benchmark's keys are used).
 */

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export function procCpuMs(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / ticksPerSecond() : undefined;
  } catch {
    return undefined;
  }
}

interface RedisLike {
  info(section: string): Promise<string>;
}

export interface CpuWindowOptions {
  /** A connection URL to any database other than the benchmark's (the sampler must not count itself). */
  adminUrl?: string;
  datname?: string;
  redis?: RedisLike;
}

export class CpuWindow {
  readonly #startWall = performance.now();
  readonly #startCpu = process.cpuUsage();
  readonly #baseline = new Map<number, number>();
  readonly #last = new Map<number, number>();
  readonly #options: CpuWindowOptions;
  #client: pg.Client | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sampling: Promise<void> = Promise.resolve();
  #pgOk = false;
  #redisStart: number | undefined;

  private constructor(options: CpuWindowOptions) {
    this.#options = options;
  }

  static async start(options: CpuWindowOptions = {}): Promise<CpuWindow> {
    const w = new CpuWindow(options);
    if (options.redis) w.#redisStart = await redisCpuMs(options.redis);
    if (options.adminUrl && options.datname) {
      try {
        const client = new pg.Client({
          connectionString: options.adminUrl,
          application_name: 'ideamine-bench-cpu',
        });
        client.on('error', () => {});
        await client.connect();
        w.#client = client;
        await w.#sample(true);
        w.#pgOk = true;
        w.#timer = setInterval(() => {
          w.#sampling = w.#sampling.then(() => w.#sample(false));
        }, 200);
      } catch {
        w.#pgOk = false;
      }
    }
    return w;
  }

  async #sample(baseline: boolean): Promise<void> {
    const client = this.#client;
    if (!client) return;
    try {
      const r = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [
        this.#options.datname,
      ]);
      for (const { pid } of r.rows) {
        const ms = procCpuMs(pid);
        if (ms === undefined) continue;
        // A backend born inside the window counts from zero; one alive at the start from its baseline.
        if (!this.#baseline.has(pid)) this.#baseline.set(pid, baseline ? ms : 0);
        this.#last.set(pid, ms);
      }
    } catch {
      // The sampler must never fail a benchmark; a missed sample costs at most 200 ms of attribution.
    }
  }

  async stop(): Promise<CpuFigures> {
    const wallMs = performance.now() - this.#startWall;
    const used = process.cpuUsage(this.#startCpu);
    if (this.#timer) clearInterval(this.#timer);
    await this.#sampling;
    await this.#sample(false);
    await this.#client?.end().catch(() => {});
    let pgMs: number | null = null;
    if (this.#pgOk) {
      pgMs = 0;
      for (const [pid, last] of this.#last) pgMs += last - (this.#baseline.get(pid) ?? 0);
    }
    const clientMs = (used.user + used.system) / 1000;
    const redisEnd = this.#options.redis ? await redisCpuMs(this.#options.redis) : undefined;
    const figures: CpuFigures = {
      wallMs: Math.round(wallMs),
      clientMs: Math.round(clientMs),
      clientPct: Math.round((clientMs / wallMs) * 1000) / 10,
      pgMs: pgMs === null ? null : Math.round(pgMs),
      pgPct: pgMs === null ? null : Math.round((pgMs / wallMs) * 1000) / 10,
    };
    if (this.#redisStart !== undefined && redisEnd !== undefined)
      figures.redisMs = Math.round(redisEnd - this.#redisStart);
    return figures;
  }
}

async function redisCpuMs(redis: RedisLike): Promise<number | undefined> {
  try {
    const info = await redis.info('cpu');
    const get = (k: string) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 'NaN');
    const total = get('used_cpu_sys') + get('used_cpu_user');
    return Number.isFinite(total) ? total * 1000 : undefined;
  } catch {
    return undefined;
  }
}
