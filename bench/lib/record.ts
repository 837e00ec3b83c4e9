import type { BenchId } from './options.ts';

/**
 * One JSON line per (benchmark, system, config, run). The runner adds the machine fingerprint and
 * writes the lines to bench/results/<timestamp>.jsonl, so every ratio can be recomputed later.
 */
export interface BenchRecord {
  bench: BenchId;
  /** Subject under test: `ideamine-pg`, `graphile-worker`, … or a physical floor (`floor-pgbench`). */
  system: string;
  config: string;
  /** 0 is the warm-up (written, never aggregated); measured runs count from 1. */
  run: number;
  warmup: boolean;
  status: 'ok' | 'na' | 'error';
  /** Why a row is n/a or failed, or a caveat for this figure. */
  note?: string;
  /** Figures of this run. Units follow the name: `_per_s`, `_ms`, `_bytes`, `_pct`, `_x`, `_n`. */
  metrics: Record<string, number | null>;
  /** Which metrics appear in the printed table (all are kept in the JSON line). */
  show: string[];
  /** Exactly-once check: every job handled once. */
  check?: ExactlyOnce;
  cpu?: CpuFigures;
  params?: Record<string, unknown>;
  /** 1-minute load average when the measurement began and when the row was written. */
  load?: { before: number; after: number };
}

export interface ExactlyOnce {
  expected: number;
  /** Distinct jobs handled. */
  processed: number;
  /** Handler calls beyond the first for a job. */
  duplicates: number;
  /** Jobs never handled (or never acknowledged) before the deadline. */
  losses: number;
}

export interface CpuFigures {
  wallMs: number;
  /** CPU of the benchmark's own Node process (clients and in-process workers). */
  clientMs: number;
  clientPct: number;
  /** CPU of the Postgres backends serving this benchmark's database (null: not measured). */
  pgMs: number | null;
  pgPct: number | null;
  /** CPU of Redis over the window (whole server; only this benchmark uses its keys). */
  redisMs?: number | null;
}

export const RECORD_PREFIX = 'BENCH_RECORD ';

export interface MetricInfo {
  unit: string;
  better: 'higher' | 'lower';
}

export function metricInfo(name: string): MetricInfo {
  if (name.endsWith('_per_s')) return { unit: '/s', better: 'higher' };
  if (name.endsWith('_ms')) return { unit: 'ms', better: 'lower' };
  if (name.endsWith('_us')) return { unit: 'µs', better: 'lower' };
  if (name.endsWith('_bytes')) return { unit: 'B', better: 'lower' };
  if (name.endsWith('_mb')) return { unit: 'MB', better: 'lower' };
  if (name.endsWith('_pct')) return { unit: '%', better: 'lower' };
  if (name.endsWith('_x')) return { unit: '×', better: 'lower' };
  return { unit: '', better: 'lower' };
}
