import { type BenchRecord, metricInfo } from './record.ts';
import { median, range } from './stats.ts';

/** Medians and ranges over the measured runs (warm-ups excluded) of one (bench, system, config, metric). */
export interface Cell {
  bench: string;
  system: string;
  config: string;
  metric: string;
  median: number | null;
  min: number | null;
  max: number | null;
  runs: number;
  /** Whether these runs carried an exactly-once check. */
  checked: boolean;
  duplicates: number;
  losses: number;
  clientPct: number | null;
  pgPct: number | null;
  status: 'ok' | 'na' | 'error';
  note?: string;
  /** 1-minute load average: lowest at the start of a run, highest at the end of one. */
  load: { before: number; after: number } | null;
}

export function cellKey(bench: string, system: string, config: string, metric: string): string {
  return `${bench}|${system}|${config}|${metric}`;
}

export function aggregate(records: readonly BenchRecord[]): Map<string, Cell> {
  const groups = new Map<string, BenchRecord[]>();
  const order: string[] = [];
  for (const r of records) {
    if (r.warmup) continue;
    const metrics = r.status === 'ok' ? r.show : ['-'];
    for (const metric of metrics) {
      const key = cellKey(r.bench, r.system, r.config, metric);
      if (!groups.has(key)) {
        groups.set(key, []);
        order.push(key);
      }
      groups.get(key)?.push(r);
    }
  }
  const cells = new Map<string, Cell>();
  for (const key of order) {
    const rs = groups.get(key) ?? [];
    const [bench = '', system = '', config = '', metric = ''] = key.split('|');
    const ok = rs.filter((r) => r.status === 'ok');
    const values = ok
      .map((r) => r.metrics[metric])
      .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const span = range(values);
    const first = rs[0];
    const status = ok.length > 0 ? 'ok' : (first?.status ?? 'na');
    const notes = [...new Set(rs.map((r) => r.note).filter((n): n is string => Boolean(n)))];
    const cell: Cell = {
      bench,
      system,
      config,
      metric,
      median: median(values),
      min: span?.min ?? null,
      max: span?.max ?? null,
      runs: values.length,
      checked: ok.some((r) => r.check !== undefined),
      duplicates: sum(ok.map((r) => r.check?.duplicates ?? 0)),
      losses: sum(ok.map((r) => r.check?.losses ?? 0)),
      clientPct: median(ok.map((r) => r.cpu?.clientPct).filter((v): v is number => typeof v === 'number')),
      pgPct: median(ok.map((r) => r.cpu?.pgPct).filter((v): v is number => typeof v === 'number')),
      status,
      load: loadSpan(rs),
    };
    if (notes.length > 0) cell.note = notes.join('; ');
    cells.set(key, cell);
  }
  return cells;
}

function loadSpan(rs: readonly BenchRecord[]): { before: number; after: number } | null {
  const loads = rs.map((r) => r.load).filter((l): l is { before: number; after: number } => Boolean(l));
  if (loads.length === 0) return null;
  return { before: Math.min(...loads.map((l) => l.before)), after: Math.max(...loads.map((l) => l.after)) };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export function better(metric: string): 'higher' | 'lower' {
  return metricInfo(metric).better;
}
