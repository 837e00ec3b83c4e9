import { aggregate, better, type Cell } from './aggregate.ts';
import { type BenchRecord, metricInfo } from './record.ts';
import { evaluateTargets, fmt } from './targets.ts';

/**
 * Renders a session as Markdown tables (readable in a terminal, pasted as-is into BENCHMARKS.md):
 * medians with range, exactly-once counts and CPU; IdeaMine ÷ each peer; the targets.
 */

export const TITLES: Record<string, string> = {
  b1: 'B1 no-op task throughput (burn-down, closed loop)',
  b2: 'B2 enqueue→start latency (idle: sequential; loaded: Poisson open loop at 50% of capacity)',
  b3: 'B3 orchestration overhead (13 phases × fan-out k durable steps)',
  b4: 'B4 checkpoint write latency',
  b5: 'B5 heartbeat cost with many in-flight tasks',
  b6: 'B6 recovery after kill -9 of a worker',
  b7: 'B7 ledger and event append rate',
  b8: 'B8 memory per in-flight task',
  b9: 'B9 a fresh main job: peak RSS and start-up before the first phase',
};

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function value(cell: Cell): string {
  if (cell.status !== 'ok') return cell.status === 'na' ? 'n/a' : 'error';
  if (cell.median === null) return '–';
  const span =
    cell.runs > 1 && cell.min !== null && cell.max !== null ? ` (${fmt(cell.min)}–${fmt(cell.max)})` : '';
  return `${fmt(cell.median)}${span}`;
}

function pct(v: number | null): string {
  return v === null ? '–' : `${Math.round(v)}%`;
}

function benchTable(cells: readonly Cell[]): string[] {
  const lines = [
    row([
      'system',
      'config',
      'metric',
      'median (range)',
      'runs',
      'dup/loss',
      'client CPU',
      'PG CPU',
      'load 1m',
      'note',
    ]),
    row(['---', '---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---']),
  ];
  for (const c of cells) {
    const info = metricInfo(c.metric);
    const metric = c.metric === '-' ? '' : `${c.metric} (${info.better === 'higher' ? '↑' : '↓'})`;
    const checks = c.status === 'ok' && c.checked ? `${c.duplicates}/${c.losses}` : '';
    lines.push(
      row([
        c.system,
        c.config,
        metric,
        value(c),
        c.status === 'ok' ? String(c.runs) : '',
        checks,
        c.status === 'ok' ? pct(c.clientPct) : '',
        c.status === 'ok' ? pct(c.pgPct) : '',
        c.load ? `${c.load.before.toFixed(1)}→${c.load.after.toFixed(1)}` : '',
        (c.note ?? '').replace(/\|/g, '/').slice(0, 160),
      ]),
    );
  }
  return lines;
}

/** IdeaMine ÷ each peer for every shared (bench, config, metric). */
function ratioLines(all: readonly Cell[]): string[] {
  const lines: string[] = [];
  const ok = all.filter((c) => c.status === 'ok' && c.median !== null && c.metric !== '-');
  for (const im of ok.filter((c) => c.system.startsWith('ideamine'))) {
    for (const peer of ok) {
      if (
        peer.system.startsWith('ideamine') ||
        peer.system.startsWith('floor-') ||
        peer.system.startsWith('raw-')
      )
        continue;
      if (peer.bench !== im.bench || peer.config !== im.config || peer.metric !== im.metric) continue;
      const r = (im.median as number) / (peer.median as number);
      const good = better(im.metric) === 'higher' ? r >= 1 : r <= 1;
      lines.push(
        row([
          im.bench.toUpperCase(),
          im.config,
          im.metric,
          `${im.system} ÷ ${peer.system}`,
          `${fmt(r)}×`,
          good ? 'IdeaMine better' : 'peer better',
        ]),
      );
    }
  }
  if (lines.length === 0) return [];
  return [
    row(['bench', 'config', 'metric', 'ratio', 'value', '']),
    row(['---', '---', '---', '---', '---:', '---']),
    ...lines,
  ];
}

export function renderTables(records: readonly BenchRecord[]): string {
  const cells = aggregate(records);
  const all = [...cells.values()];
  const out: string[] = [];
  for (const bench of Object.keys(TITLES)) {
    const mine = all.filter((c) => c.bench === bench);
    if (mine.length === 0) continue;
    out.push(`### ${TITLES[bench]}`, '', ...benchTable(mine), '');
  }
  const ratios = ratioLines(all);
  if (ratios.length > 0) out.push('### IdeaMine ÷ peers (medians, same session)', '', ...ratios, '');
  const targets = evaluateTargets(cells);
  if (targets.length > 0) {
    out.push(
      '### Targets from the issue',
      '',
      row(['target', 'value', 'bound', 'result', 'detail']),
      row(['---', '---:', '---:', '---', '---']),
    );
    for (const t of targets) {
      const result = t.met === null ? 'n/a' : t.met ? 'met' : '**not met**';
      out.push(
        row([t.label, t.value === null ? '–' : `${fmt(t.value)}×`, `${t.op} ${t.bound}×`, result, t.detail]),
      );
    }
    out.push('');
  }
  return out.join('\n');
}
