import type { StallCandidate } from '../queue/task-queue.ts';

/**
 * Stall classification and the unsticker ladder, as pure functions (the supervisor applies them).
 *
 * A task is stalled when it stops heartbeating (liveness), when it heartbeats but its reported
 * progress does not move for two stall windows (slope), or when its progress trail keeps cycling
 * through the same few states (loop). Each stall climbs one rung:
 *
 *   smaller-batch → fallback-tool → fallback-model → stricter-prompt → chunk → self-execution → escalate
 *
 * A rung that cannot apply to the task (an agent without tools has no alternate tool; the offline
 * model has no cheaper fallback) is skipped, and the skip is part of the recorded explanation.
 */

export type StallReason = 'no-heartbeat' | 'no-progress' | 'loop';

export const UNSTICK_LADDER = [
  'smaller-batch',
  'fallback-tool',
  'fallback-model',
  'stricter-prompt',
  'chunk',
  'self-execution',
  'escalate',
] as const;
export type UnstickStrategy = (typeof UNSTICK_LADDER)[number];

/** How many of the last progress fingerprints the loop detector looks at. */
export const LOOP_WINDOW = 8;

export function classifyStall(c: StallCandidate): StallReason | undefined {
  const now = c.now.getTime();
  if (c.heartbeatAt && now - c.heartbeatAt.getTime() > c.stallAfterMs) return 'no-heartbeat';
  if (isLooping(c.progressTrail)) return 'loop';
  if (c.progressAt && now - c.progressAt.getTime() > 2 * c.stallAfterMs) return 'no-progress';
  return undefined;
}

/** A trail that keeps revisiting two or three states (A B A B …), not one that is merely unchanged. */
export function isLooping(trail: readonly string[]): boolean {
  if (trail.length < LOOP_WINDOW) return false;
  const recent = trail.slice(-LOOP_WINDOW);
  const distinct = new Set(recent);
  if (distinct.size < 2 || distinct.size > 3) return false;
  let changes = 0;
  for (let i = 1; i < recent.length; i++) if (recent[i] !== recent[i - 1]) changes++;
  return changes >= LOOP_WINDOW - 2;
}

export interface TaskCapabilities {
  /** The task's agent has tools with alternates on the phase allowlist. */
  hasAlternateTool: boolean;
  /** A cheaper/smaller model is configured below the current one. */
  hasFallbackModel: boolean;
  /** The task is an agent task (prompt, batch size and self-execution mean something). */
  isAgent: boolean;
}

export interface UnstickDecision {
  /** `reclaim` is the plain retry used for tasks the ladder does not apply to (not agents). */
  strategy: UnstickStrategy | 'reclaim';
  rung: number;
  explanation: string;
  skipped: Array<{ strategy: UnstickStrategy; why: string }>;
}

const WHY: Record<UnstickStrategy, string> = {
  'smaller-batch': 'halve the output budget so the call finishes inside its window',
  'fallback-tool': 'switch to the alternate allowlisted tool or sandbox mode',
  'fallback-model': 'move down the model fallback ladder (cheaper/smaller model, temperature 0)',
  'stricter-prompt': 'shrink the context and demand schema-only output at temperature 0',
  chunk: 'split the work into chunks with a size cap',
  'self-execution': "let the orchestrator's generalist agent complete the blocking task",
  escalate: 'stop retrying: fail the task with its history so the phase can escalate',
};

/** The next applicable rung at or after `fromRung`, with the reason for the choice and any skips. */
export function nextRung(fromRung: number, reason: StallReason, caps: TaskCapabilities): UnstickDecision {
  if (!caps.isAgent) {
    // Not an agent: batch size, prompts and models mean nothing here. Retry it twice, then escalate.
    return fromRung < PLAIN_RETRIES
      ? {
          strategy: 'reclaim',
          rung: fromRung,
          explanation: `${describe(reason)}; retry ${fromRung + 1}/${PLAIN_RETRIES} from its last checkpoint (not an agent task: the ladder does not apply)`,
          skipped: [],
        }
      : {
          strategy: 'escalate',
          rung: fromRung,
          explanation: `${describe(reason)}; stalled ${fromRung + 1} times: escalate`,
          skipped: [],
        };
  }
  const skipped: UnstickDecision['skipped'] = [];
  for (let rung = Math.max(0, fromRung); rung < UNSTICK_LADDER.length; rung++) {
    const strategy = UNSTICK_LADDER[rung] as UnstickStrategy;
    const why = inapplicable(strategy, caps);
    if (why) {
      skipped.push({ strategy, why });
      continue;
    }
    const explanation = `${describe(reason)}; rung ${rung + 1}/${UNSTICK_LADDER.length} "${strategy}": ${WHY[strategy]}${
      skipped.length ? ` (skipped ${skipped.map((s) => `${s.strategy}: ${s.why}`).join('; ')})` : ''
    }`;
    return { strategy, rung, explanation, skipped };
  }
  return {
    strategy: 'escalate',
    rung: UNSTICK_LADDER.length - 1,
    explanation: `${describe(reason)}; ladder exhausted: escalate`,
    skipped,
  };
}

const PLAIN_RETRIES = 2;

function inapplicable(strategy: UnstickStrategy, caps: TaskCapabilities): string | undefined {
  if (strategy === 'fallback-tool' && !caps.hasAlternateTool)
    return 'no alternate tool is available to this agent';
  if (strategy === 'fallback-model' && !caps.hasFallbackModel)
    return 'no fallback model is configured below the current one';
  return undefined;
}

function describe(reason: StallReason): string {
  switch (reason) {
    case 'no-heartbeat':
      return 'no heartbeat within the stall threshold (the worker died or hung)';
    case 'no-progress':
      return 'heartbeats arrive but progress has not moved for two stall windows';
    case 'loop':
      return 'progress keeps cycling through the same states (a loop)';
  }
}
