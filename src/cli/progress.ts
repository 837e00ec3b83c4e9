import type { Database } from '../storage/database.ts';
import type { StoredEvent } from '../storage/event-store.ts';
import { phaseDurationHistory } from '../storage/phase-history.ts';
import { applyEvent, initialLiveState, type PhaseHistory, renderLiveView } from './live-view.ts';

/**
 * Progress of a run, in one of three forms:
 * - `json` (--json, or stdout is not a terminal): one JSON line per event, each carrying the run id;
 * - `live` (`run`, `resume`, `events --follow` on a terminal): the live view of live-view.ts, redrawn
 *   in place (ANSI cursor-up and clear), at most every {@link REDRAW_MS} and each second for the clocks;
 * - `lines` (`events` without --follow on a terminal): one readable line per meaningful event.
 * `close()` draws the view a last time and stops its timer; the caller prints its summary after it.
 */
export interface ProgressPrinter {
  onEvent(event: StoredEvent): void;
  close(): void;
}

/** Redraws coalesce events that arrive together (a resumed run replays its whole log at once). */
const REDRAW_MS = 100;
const TICK_MS = 1_000;

export interface ProgressOptions {
  /** JSON lines (--json, or stdout is not a terminal). */
  json: boolean;
  /** Otherwise, the live view instead of one line per event (run, resume, events --follow). */
  live?: boolean;
  /** Where text goes, newlines included (default: stdout). */
  write?: (text: string) => void;
  /** For the live view's ETA; without it the ETA shows as unknown. */
  history?: PhaseHistory;
  /** The terminal's width (default: stdout's columns, or 100). */
  columns?: () => number;
}

/** Past phase durations for the live view's ETA (earlier runs' passed phases; see phase-history.ts). */
export function loadPhaseHistory(db: Database, runId: string): Promise<PhaseHistory> {
  return phaseDurationHistory(db, { excludeRunId: runId });
}

export function createProgressPrinter(options: ProgressOptions): ProgressPrinter {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  if (options.json) {
    return {
      onEvent: (e) =>
        write(
          `${JSON.stringify({
            runId: e.runId,
            seq: e.seq,
            type: e.type,
            phase: e.phase,
            taskId: e.taskId,
            at: e.createdAt,
            payload: e.payload,
          })}\n`,
        ),
      close: () => {},
    };
  }
  if (options.live) return createLivePrinter(options, write);
  const lastStage = new Map<string, string>();
  return {
    onEvent: (e) => {
      const line = humanLine(e, lastStage);
      if (line) write(`${line}\n`);
    },
    close: () => {},
  };
}

function createLivePrinter(options: ProgressOptions, write: (text: string) => void): ProgressPrinter {
  const history = options.history ?? { medianMs: {}, samples: 0 };
  const columns = options.columns ?? (() => process.stdout.columns || 100);
  let state = initialLiveState();
  let drawn = 0;
  let scheduled: NodeJS.Timeout | undefined;
  const draw = () => {
    const lines = renderLiveView(state, { nowMs: Date.now(), history, columns: columns() });
    // Back to the view's first line (CSI n F), clear to the end of the screen (CSI 0 J), draw again.
    write(`${drawn > 0 ? `\x1b[${drawn}F\x1b[0J` : ''}${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const ticker = setInterval(draw, TICK_MS);
  ticker.unref();
  return {
    onEvent: (e) => {
      state = applyEvent(state, e);
      if (scheduled) return;
      scheduled = setTimeout(() => {
        scheduled = undefined;
        draw();
      }, REDRAW_MS);
      scheduled.unref();
    },
    close: () => {
      clearInterval(ticker);
      clearTimeout(scheduled);
      scheduled = undefined;
      draw();
    },
  };
}

const pad = (phase: string | null) => (phase ?? '').padEnd(12);

function humanLine(e: StoredEvent, lastStage: Map<string, string>): string | undefined {
  const p = e.payload as Record<string, unknown>;
  switch (e.type) {
    case 'run.created':
      return `run ${e.runId}  "${p['title']}"`;
    case 'run.started':
      return p['takeover'] ? '  resuming where the run stopped' : undefined;
    case 'phase.started':
      return `▶ ${pad(e.phase)} started (${(p['agents'] as string[]).length} agents)`;
    case 'phase.progress': {
      const key = `${e.phase}:${p['attempt']}:${p['stage']}:${p['tasksDone']}`;
      if (lastStage.get(e.phase ?? '') === key) return undefined;
      lastStage.set(e.phase ?? '', key);
      const tasks =
        p['stage'] === 'dispatch' && Number(p['tasksDone']) > 0
          ? ` ${p['tasksDone']}/${p['tasksTotal']} agents done`
          : '';
      return `  ${pad(e.phase)} ${p['stage']}${tasks}${Number(p['attempt']) > 1 ? ` (gate attempt ${p['attempt']})` : ''}`;
    }
    case 'phase.gate.passed':
      return `✓ ${pad(e.phase)} gate passed (score ${Number(p['score']).toFixed(2)}, attempt ${p['attempt']})`;
    case 'phase.gate.failed':
      return `✗ ${pad(e.phase)} gate failed (attempt ${p['attempt']}): ${(p['reasons'] as string[]).join('; ')}${p['willRetry'] ? ' → auto-fixing' : ''}`;
    case 'phase.complete': {
      const usage = p['usage'] as Record<string, number>;
      return `  ${pad(e.phase)} ${p['outcome']} · ${usage['tokens'] ?? 0} tokens · $${Number(usage['usd'] ?? 0).toFixed(4)} · ${(Number(p['durationMs']) / 1000).toFixed(1)}s`;
    }
    case 'phase.error':
      return `! ${pad(e.phase)} error: ${(p['error'] as Record<string, unknown>)['message']}`;
    case 'phase.tool.complete':
      return `  ${pad(e.phase)} measured with ${p['tool']}${p['timedOut'] ? ' (timed out)' : ''}`;
    case 'phase.tool.failed':
      return `! ${pad(e.phase)} ${p['tool']} produced no report: ${String(p['error']).split('\n')[0]}`;
    case 'phase.stalled':
      return `! ${pad(e.phase)} stalled task ${e.taskId}: ${p['strategy']}`;
    case 'budget.exceeded':
      return `! ${pad(e.phase)} budget exceeded (${p['scope']})`;
    case 'task.retry':
      return `  ${pad(e.phase)} task ${String(e.taskId).slice(0, 8)} retry (${p['strategy']})`;
    case 'run.paused':
      return 'pausing at the next stage boundary…';
    case 'run.completed':
      return `run completed in ${(Number(p['durationMs']) / 1000).toFixed(1)}s`;
    case 'run.failed':
      return `run failed: ${(p['error'] as Record<string, unknown>)['message']}`;
    default:
      return undefined;
  }
}
