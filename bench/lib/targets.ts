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

function b1(cells: Cells): TargetResult[] {
  const im = get(cells, 'b1', 'ideamine-pg', 'default', 'tasks_per_s');
  const gw = get(cells, 'b1', 'graphile-worker', 'default', 'tasks_per_s');
  const boss = get(cells, 'b1', 'pg-boss', 'default', 'tasks_per_s');
  const floorFull = get(cells, 'b1', 'floor-pgbench', 'insert+claim+complete', 'tasks_per_s');
  const floorDrain = get(cells, 'b1', 'floor-pgbench', 'claim+complete', 'tasks_per_s');
  return [
    judge('B1 ideamine-pg ÷ graphile-worker (default, unbatched)', ratio(im, gw), '>=', 1.0, 'tasks/s'),
    judge('B1 ideamine-pg ÷ pg-boss (default, unbatched)', ratio(im, boss), '>=', 2.0, 'tasks/s'),
    judge(
      'B1 ideamine-pg ÷ pgbench floor (insert+claim+complete)',
      ratio(im, floorFull),
      '>=',
      0.5,
      'tasks/s',
    ),
    judge(
      'B1 ideamine-pg ÷ pgbench floor (claim+complete, same work as the burn-down)',
      ratio(im, floorDrain),
      '>=',
      0.5,
      'tasks/s',
    ),
  ];
}

function b2(cells: Cells): TargetResult[] {
  const imP50 = get(cells, 'b2', 'ideamine-pg', 'idle', 'p50_ms');
  const imP99 = get(cells, 'b2', 'ideamine-pg', 'idle', 'p99_ms');
  const gwP50 = get(cells, 'b2', 'graphile-worker', 'idle', 'p50_ms');
  return [
    judge('B2 idle p50: ideamine-pg ÷ graphile-worker p50', ratio(imP50, gwP50), '<=', 1.0, 'enqueue→start'),
    judge(
      'B2 idle p99: ideamine-pg p99 ÷ graphile-worker p50',
      ratio(imP99, gwP50),
      '<=',
      2.0,
      'enqueue→start',
    ),
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
    if (cell.bench !== 'b6' || !cell.system.startsWith('ideamine') || cell.metric !== 'recovery_x') continue;
    out.push(
      judge(
        `B6 ${cell.system} ${cell.config}: recovery ÷ lease`,
        cell.median,
        '<=',
        1.2,
        'kill -9 → all orphans re-claimed',
      ),
    );
  }
  return out;
}

export function evaluateTargets(cells: Cells): TargetResult[] {
  return [...b1(cells), ...b2(cells), ...b3(cells), ...b4(cells), ...b6(cells)];
}

export function fmt(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
