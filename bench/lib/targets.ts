import { type Cell, cellKey } from './aggregate.ts';

/**
 * The targets, evaluated on medians of the same session. A target whose inputs are missing
 * (a peer not installed, a benchmark not selected) is "n/a", never "met".
 */

export interface TargetResult {
  label: string;
  value: number | null;
  op: '<=' | '>=';
  bound: number;
  met: boolean | null;
  detail: string;
}

type Cells = ReadonlyMap<string, Cell>;

function get(cells: Cells, bench: string, system: string, config: string, metric: string): number | null {
  return cells.get(cellKey(bench, system, config, metric))?.median ?? null;
}

function judge(
  label: string,
  value: number | null,
  op: '<=' | '>=',
  bound: number,
  detail: string,
): TargetResult {
  const met = value === null ? null : op === '<=' ? value <= bound : value >= bound;
  return { label, value, op, bound, met, detail };
}

function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}

/** B1's concurrencies (`<config> c=<n>` in its cells). */
function b1Concurrencies(cells: Cells): number[] {
  const found = new Set<number>();
  for (const cell of cells.values()) {
    const c = cell.bench === 'b1' ? /c=(\d+)/.exec(cell.config)?.[1] : undefined;
    if (c) found.add(Number(c));
  }
  return [...found].sort((a, b) => a - b);
}

function b1(cells: Cells): TargetResult[] {
  const out: TargetResult[] = [];
  for (const c of b1Concurrencies(cells)) {
    const rate = (system: string, config: string) =>
      get(cells, 'b1', system, `${config} c=${c}`, 'tasks_per_s');
    const im = rate('ideamine-pg', 'default');
    const imBatched = rate('ideamine-pg', 'batched');
    out.push(
      judge(
        `B1 c=${c}: ideamine-pg ÷ graphile-worker (both default)`,
        ratio(im, rate('graphile-worker', 'default')),
        '>=',
        1.5,
        'tasks/s',
      ),
      judge(
        `B1 c=${c}: ideamine-pg ÷ graphile-worker (both batched)`,
        ratio(imBatched, rate('graphile-worker', 'batched')),
        '>=',
        0.5,
        'tasks/s',
      ),
      judge(
        `B1 c=${c}: ideamine-pg default ÷ plain SKIP LOCKED floor (pgbench)`,
        ratio(im, rate('floor-pgbench', 'claim+complete')),
        '>=',
        0.75,
        'tasks/s',
      ),
      judge(
        `B1 c=${c}: ideamine-pg default ÷ plain SKIP LOCKED floor (Node loop)`,
        ratio(im, rate('floor-node-pg', 'claim+complete')),
        '>=',
        0.75,
        'tasks/s',
      ),
    );
  }
  return out;
}

function b2(cells: Cells): TargetResult[] {
  const imP50 = get(cells, 'b2', 'ideamine-pg', 'idle', 'p50_ms');
  const gwP50 = get(cells, 'b2', 'graphile-worker', 'idle', 'p50_ms');
  return [
    judge('B2 idle p50: ideamine-pg ÷ graphile-worker', ratio(imP50, gwP50), '<=', 0.8, 'enqueue→start'),
  ];
}

function b3(cells: Cells): TargetResult[] {
  const out: TargetResult[] = [];
  for (const cell of cells.values()) {
    if (cell.bench !== 'b3' || cell.system !== 'ideamine-steps' || cell.metric !== 'overhead_per_phase_ms')
      continue;
    const k = Number(/k=(\d+)/.exec(cell.config)?.[1] ?? Number.NaN);
    const dbosStep = get(cells, 'b3', 'dbos', cell.config, 'overhead_per_step_ms');
    const bound = dbosStep === null || !Number.isFinite(k) ? null : dbosStep * k;
    out.push(
      judge(
        `B3 ${cell.config}: ideamine per-phase overhead ÷ (dbos per-step overhead × ${k} steps)`,
        ratio(cell.median, bound),
        '<=',
        1.0,
        bound === null ? 'dbos n/a' : `${fmt(cell.median)} ms vs ${fmt(bound)} ms`,
      ),
    );
  }
  return out;
}

function b4(cells: Cells): TargetResult[] {
  const out: TargetResult[] = [];
  for (const cell of cells.values()) {
    if (cell.bench !== 'b4' || !cell.system.startsWith('ideamine-') || cell.metric !== 'p50_ms') continue;
    const raw = get(cells, 'b4', cell.system.replace('ideamine-', 'raw-insert-'), cell.config, 'p50_ms');
    out.push(
      judge(
        `B4 ${cell.system} ${cell.config}: saveCheckpoint p50 ÷ raw INSERT p50`,
        ratio(cell.median, raw),
        '<=',
        1.5,
        'latency',
      ),
    );
  }
  return out;
}

function b6(cells: Cells): TargetResult[] {
  const out: TargetResult[] = [];
  for (const cell of cells.values()) {
    if (cell.bench !== 'b6' || !cell.system.startsWith('ideamine') || cell.metric !== 'recovery_ms') continue;
    out.push(
      judge(
        `B6 ${cell.system} ${cell.config}: kill -9 → every orphan re-claimed (ms)`,
        cell.median,
        '<=',
        2_000,
        'ms',
      ),
    );
  }
  return out;
}

function b7(cells: Cells): TargetResult[] {
  const out: TargetResult[] = [];
  for (const writers of ['1 writer', '16 writers']) {
    const config = `${writers}, 1/txn`;
    const floor = get(cells, 'b7', 'floor-pgbench', config, 'appends_per_s');
    const chain = writers === '1 writer' ? config : `${writers}, 1/txn, one chain`;
    out.push(
      judge(
        `B7 ${config}: ideamine-ledger ÷ pgbench inserting the same row`,
        ratio(get(cells, 'b7', 'ideamine-ledger', chain, 'appends_per_s'), floor),
        '>=',
        0.7,
        'appends/s',
      ),
    );
  }
  return out;
}

function b9(cells: Cells): TargetResult[] {
  return [
    judge(
      'B9 main job (embedded PGlite): peak RSS (MB)',
      get(cells, 'b9', 'ideamine-main-job', 'pglite', 'peak_rss_mb'),
      '<=',
      450,
      'MB',
    ),
    judge(
      'B9 main job (embedded PGlite): start-up before the first phase (ms)',
      get(cells, 'b9', 'ideamine-main-job', 'pglite', 'startup_ms'),
      '<=',
      500,
      'ms',
    ),
  ];
}

export function evaluateTargets(cells: Cells): TargetResult[] {
  return [...b1(cells), ...b2(cells), ...b3(cells), ...b4(cells), ...b6(cells), ...b7(cells), ...b9(cells)];
}

export function fmt(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
