import { DIAG_SLEEP, diagSleep } from './diag-sleep.ts';
import type { TaskHandler } from './worker-pool.ts';

/** Task handlers every worker has, whatever else is registered (diagnostics for operators and tests). */
export function builtinHandlers(): Map<string, TaskHandler> {
  return new Map<string, TaskHandler>([[DIAG_SLEEP, diagSleep]]);
}
