import type { StoredEvent } from '../storage/event-store.ts';

/**
 * The terminal's live view of a run, as pure functions: events fold into a {@link LiveState}
 * ({@link applyEvent}) and a state renders to lines ({@link renderLiveView}). The printer in
 * progress.ts redraws those lines in place; nothing here touches the terminal or the clock.
 *
 * One line per phase in pipeline order (the plan's levels, from `run.started`): status, a bar of the
 * tasks done, the gate attempt, tokens and cost, time spent, the current stage. Then a totals line with
 * the ETA, and the last few notable events (gate failures, errors).
 *
 * ETA: for each phase not finished, the median duration of that phase in earlier runs
 * ({@link PhaseHistory}) minus the time it has run so far (never below zero); phases of one plan level
 * run side by side, so a level costs its slowest phase, and the levels add up. A phase with no history
 * leaves the ETA unknown ("ETA —") rather than guessed.
 */

export type LivePhaseStatus = 'pending' | 'running' | 'passed' | 'failed' | 'skipped';

export interface LivePhase {
  phase: string;
  status: LivePhaseStatus;
  stage: string | null;
  attempt: number;
  tasksDone: number;
  tasksTotal: number;
  tokens: number;
  usd: number;
  /** When the phase (re)started, in ms since the epoch; null while pending. */
  startedAtMs: number | null;
  /** Set when the phase completed. */
  durationMs: number | null;
}

export interface LiveState {
  runId: string | null;
  title: string | null;
  /** Plan levels (phases that run side by side), from `run.started`. */
  levels: string[][];
  phases: LivePhase[];
  /** When the run started driving (first `run.started`), ms since the epoch. */
  startedAtMs: number | null;
  /** When the run last stopped (completed, failed, paused, cancelled): the elapsed clock stops there. */
  endedAtMs: number | null;
  outcome: 'succeeded' | 'failed' | 'paused' | 'cancelled' | null;
  /** Run-wide usage once the run reports it (completed / failed); before that the phases' sum. */
  runUsage: { tokens: number; usd: number } | null;
  /** The last few notable events, oldest first. */
  notes: string[];
}

/** Median past duration of each phase, ms, and how many earlier phase runs it is taken from. */
export interface PhaseHistory {
  medianMs: Readonly<Record<string, number>>;
  samples: number;
}

const MAX_NOTES = 3;
const BAR_WIDTH = 12;

export function initialLiveState(): LiveState {
  return {
    runId: null,
    title: null,
    levels: [],
    phases: [],
    startedAtMs: null,
    endedAtMs: null,
    outcome: null,
    runUsage: null,
    notes: [],
  };
}

function blankPhase(phase: string): LivePhase {
  return {
    phase,
    status: 'pending',
    stage: null,
    attempt: 0,
    tasksDone: 0,
    tasksTotal: 0,
    tokens: 0,
    usd: 0,
    startedAtMs: null,
    durationMs: null,
  };
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function withPhase(state: LiveState, name: string, change: (p: LivePhase) => LivePhase): LiveState {
  const known = state.phases.some((p) => p.phase === name);
  const phases = known ? state.phases : [...state.phases, blankPhase(name)];
  return { ...state, phases: phases.map((p) => (p.phase === name ? change(p) : p)) };
}

function note(state: LiveState, text: string): LiveState {
  return { ...state, notes: [...state.notes, text].slice(-MAX_NOTES) };
}

const firstLine = (text: unknown) => String(text ?? '').split('\n')[0] ?? '';

/** The state after one event; unknown events leave it unchanged. */
export function applyEvent(state: LiveState, e: StoredEvent): LiveState {
  const p = e.payload;
  const at = new Date(e.createdAt).getTime();
  const phase = e.phase;
  switch (e.type) {
    case 'run.created':
      return { ...state, runId: e.runId, title: String(p['title'] ?? '') };
    case 'run.started': {
      const levels = (p['levels'] as string[][] | undefined) ?? [];
      const order = levels.flat();
      const phases = [
        ...order.map((name) => state.phases.find((x) => x.phase === name) ?? blankPhase(name)),
        ...state.phases.filter((x) => !order.includes(x.phase)),
      ];
      return {
        ...state,
        runId: e.runId,
        levels,
        phases,
        startedAtMs: state.startedAtMs ?? at,
        endedAtMs: null,
        outcome: null,
      };
    }
    case 'run.completed':
      return { ...state, outcome: 'succeeded', endedAtMs: at, runUsage: usageOf(p['usage']) };
    case 'run.failed':
      return note(
        {
          ...state,
          outcome: 'failed',
          endedAtMs: at,
          runUsage: p['usage'] ? usageOf(p['usage']) : state.runUsage,
        },
        `run failed: ${firstLine((p['error'] as Record<string, unknown> | undefined)?.['message'])}`,
      );
    case 'run.paused':
      return { ...state, outcome: 'paused', endedAtMs: at };
    case 'run.cancelled':
      return { ...state, outcome: 'cancelled', endedAtMs: at };
    case 'run.resumed':
      return { ...state, outcome: null, endedAtMs: null };
  }
  if (!phase) return state;
  switch (e.type) {
    case 'phase.started':
      return withPhase(state, phase, (x) => ({
        ...x,
        status: 'running',
        stage: 'plan',
        attempt: num(p['attempt']) || 1,
        tasksDone: 0,
        tasksTotal: (p['agents'] as unknown[] | undefined)?.length ?? 0,
        startedAtMs: at,
        durationMs: null,
      }));
    case 'phase.progress':
      return withPhase(state, phase, (x) => ({
        ...x,
        status: x.status === 'pending' ? 'running' : x.status,
        stage: String(p['stage'] ?? x.stage),
        attempt: num(p['attempt']) || x.attempt,
        tasksDone: num(p['tasksDone']),
        tasksTotal: num(p['tasksTotal']),
        startedAtMs: x.startedAtMs ?? at,
      }));
    case 'phase.agent.complete': {
      const usage = usageOf(p['usage']);
      return withPhase(state, phase, (x) => ({
        ...x,
        tokens: x.tokens + usage.tokens,
        usd: x.usd + usage.usd,
      }));
    }
    case 'phase.retry':
      return withPhase(state, phase, (x) => ({ ...x, attempt: num(p['attempt']) || x.attempt + 1 }));
    case 'phase.gate.failed':
      return note(
        withPhase(state, phase, (x) => ({ ...x, attempt: num(p['attempt']) || x.attempt })),
        `✗ ${phase} gate failed (attempt ${num(p['attempt'])}): ${((p['reasons'] as string[] | undefined) ?? []).join('; ')}${p['willRetry'] ? ' → auto-fixing' : ''}`,
      );
    case 'phase.error':
      return note(
        state,
        `! ${phase} error: ${firstLine((p['error'] as Record<string, unknown> | undefined)?.['message'])}`,
      );
    case 'phase.tool.failed':
      return note(state, `! ${phase} ${String(p['tool'])} produced no report: ${firstLine(p['error'])}`);
    case 'budget.exceeded':
      return note(state, `! ${phase} budget exceeded (${String(p['scope'])})`);
    case 'phase.complete': {
      const usage = usageOf(p['usage']);
      const outcome = String(p['outcome']);
      return withPhase(state, phase, (x) => ({
        ...x,
        status: outcome === 'passed' || outcome === 'failed' || outcome === 'skipped' ? outcome : x.status,
        stage: null,
        attempt: num(p['attempts']) || x.attempt,
        tasksDone: x.tasksTotal,
        tokens: usage.tokens,
        usd: usage.usd,
        durationMs: num(p['durationMs']),
      }));
    }
    default:
      return state;
  }
}

function usageOf(value: unknown): { tokens: number; usd: number } {
  const u = (value ?? {}) as Record<string, unknown>;
  return { tokens: num(u['tokens']), usd: num(u['usd']) };
}

/** `1.2s`, `3m 04s`, `1h 02m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (ms < 60_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `950`, `12.3k`, `4.56M`. */
export function formatTokens(tokens: number): string {
  if (tokens < 1000) return String(Math.round(tokens));
  if (tokens < 1_000_000) return `${(tokens / 1000).toFixed(1)}k`;
  return `${(tokens / 1_000_000).toFixed(2)}M`;
}

export function progressBar(done: number, total: number, width = BAR_WIDTH): string {
  const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

const ICON: Record<LivePhaseStatus, string> = {
  pending: '·',
  running: '▶',
  passed: '✓',
  failed: '✗',
  skipped: '-',
};

/**
 * Milliseconds left by the phases' history (see the module comment), or null when some phase still
 * to run has no history. Zero once every phase has finished.
 */
export function estimateRemainingMs(state: LiveState, history: PhaseHistory, nowMs: number): number | null {
  const levels = state.levels.length > 0 ? state.levels : state.phases.map((p) => [p.phase]);
  let total = 0;
  for (const level of levels) {
    let slowest = 0;
    for (const name of level) {
      const p = state.phases.find((x) => x.phase === name);
      if (p && (p.status === 'passed' || p.status === 'failed' || p.status === 'skipped')) continue;
      const median = history.medianMs[name];
      if (median === undefined) return null;
      const ran = p?.startedAtMs !== null && p?.startedAtMs !== undefined ? nowMs - p.startedAtMs : 0;
      slowest = Math.max(slowest, median - ran);
    }
    total += Math.max(0, slowest);
  }
  return total;
}

function phaseLine(p: LivePhase, nameWidth: number, nowMs: number): string {
  const tasks = p.tasksTotal > 0 ? `${p.tasksDone}/${p.tasksTotal}` : '-';
  const gate = p.attempt > 0 ? `gate ${p.attempt}` : '';
  const time =
    p.durationMs !== null
      ? formatDuration(p.durationMs)
      : p.startedAtMs !== null
        ? formatDuration(nowMs - p.startedAtMs)
        : '';
  const money = p.status === 'pending' ? '' : `${formatTokens(p.tokens)} tok  $${p.usd.toFixed(4)}`;
  // A running phase shows its stage; a finished one its outcome; a pending one only its icon.
  const stage = p.status === 'running' ? (p.stage ?? '') : p.status === 'pending' ? '' : p.status;
  return [
    `${ICON[p.status]} ${p.phase.padEnd(nameWidth)}`,
    progressBar(p.status === 'passed' ? 1 : p.tasksDone, p.status === 'passed' ? 1 : p.tasksTotal),
    tasks.padStart(5),
    gate.padEnd(7),
    money.padStart(22),
    time.padStart(8),
    stage,
  ]
    .join('  ')
    .trimEnd();
}

/** Cuts a line to the terminal's width, so that a wrapped line never breaks the redraw. */
function fitToWidth(line: string, columns: number): string {
  const chars = [...line];
  return chars.length <= columns ? line : `${chars.slice(0, Math.max(1, columns - 1)).join('')}…`;
}

export interface RenderOptions {
  nowMs: number;
  history: PhaseHistory;
  /** The terminal's width in columns. */
  columns: number;
}

/** The lines of the view for one state at one instant. */
export function renderLiveView(state: LiveState, options: RenderOptions): string[] {
  const { nowMs, history, columns } = options;
  const nameWidth = Math.max(8, ...state.phases.map((p) => p.phase.length));
  const header = `run ${state.runId ?? '…'}${state.title ? `  "${state.title}"` : ''}`;
  const lines = [header, ...state.phases.map((p) => phaseLine(p, nameWidth, nowMs))];
  const tokens = state.runUsage?.tokens ?? state.phases.reduce((s, p) => s + p.tokens, 0);
  const usd = state.runUsage?.usd ?? state.phases.reduce((s, p) => s + p.usd, 0);
  const until = state.endedAtMs ?? nowMs;
  const elapsed = state.startedAtMs !== null ? formatDuration(until - state.startedAtMs) : '0.0s';
  const remaining = estimateRemainingMs(state, history, nowMs);
  const eta =
    state.outcome !== null
      ? state.outcome
      : remaining === null
        ? 'ETA — (no history for every phase yet)'
        : `ETA ~${formatDuration(remaining)} (median of ${history.samples} earlier phase runs)`;
  lines.push(`elapsed ${elapsed} · ${formatTokens(tokens)} tokens · $${usd.toFixed(4)} · ${eta}`);
  for (const n of state.notes) lines.push(`  ${n}`);
  return lines.map((line) => fitToWidth(line, columns));
}
