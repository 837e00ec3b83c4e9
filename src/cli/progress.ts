import type { StoredEvent } from '../storage/event-store.ts';

/**
 * Live progress of a run. On a TTY: one readable line per meaningful event (phase started, stage
 * changes, agents done, gate outcomes, cost); with --json or when piped: one JSON line per event,
 * each carrying the run id.
 */
export interface ProgressPrinter {
  onEvent(event: StoredEvent): void;
}

export function createProgressPrinter(options: {
  json: boolean;
  write?: (line: string) => void;
}): ProgressPrinter {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (options.json) {
    return {
      onEvent: (e) =>
        write(
          JSON.stringify({
            runId: e.runId,
            seq: e.seq,
            type: e.type,
            phase: e.phase,
            taskId: e.taskId,
            at: e.createdAt,
            payload: e.payload,
          }),
        ),
    };
  }
  const lastStage = new Map<string, string>();
  return {
    onEvent: (e) => {
      const line = humanLine(e, lastStage);
      if (line) write(line);
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
