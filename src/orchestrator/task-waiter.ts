import { type TaskOutcome, type TaskQueue, TERMINAL_STATES } from '../queue/task-queue.ts';
import type { Database } from '../storage/database.ts';
import { runSignalWakeups } from './run-signals.ts';

/** Why a coordinator stopped waiting: an operator signal, or the phase's timebox ran out. */
export type Interruption = 'pause' | 'cancel' | 'timebox';

/**
 * The default safety re-check. Wake-ups can be lost: a NOTIFY sent while this process's LISTEN
 * connection was down (the driver re-establishes it, but does not replay what it missed). Rather than
 * hook the driver's reconnects, the waiter re-reads every open task and the run's signal at this
 * fixed rate, whatever else woke it. 5 s bounds how long a lost wake-up can delay a phase, and costs
 * one read per 5 s of waiting instead of the 2–50 reads per second the former 20 → 500 ms poll made.
 */
export const SAFETY_RECHECK_MS = 5_000;

export interface WaitForTasksRequest {
  db: Database;
  queue: Pick<TaskQueue, 'onSettled' | 'outcomes'>;
  runId: string;
  ids: readonly string[];
  /** Reads the run's stored signal: called first, when a signal wakes the waiter, and at each safety re-check. */
  interrupted(): Promise<Interruption | undefined>;
  safetyRecheckMs?: number;
}

export interface WaitForTasksResult {
  /** Every waited-for task that reached a terminal state (all of them, unless interrupted). */
  tasks: Map<string, TaskOutcome>;
  interrupted?: Interruption;
}

/**
 * Waits until every task in `ids` is terminal, or the run is interrupted. It subscribes before it reads,
 * so a completion between the read and the wait is not missed; then it reads the tasks once, and after
 * that reads only the tasks whose settlement it heard about (the queue's `onSettled`: in-process, and
 * across processes through LISTEN/NOTIFY where the driver can), plus everything at the safety re-check.
 *
 * Interrupts wake it too: pause, cancel and a phase's timebox are announced through `RunSignalWakeups`
 * when they are stored (orchestrator.ts), so the waiter reads the signal only when one may have changed.
 * (A cancel also cancels the run's tasks, which settles them and wakes the waiter on its own.)
 */
export async function waitForTasks(request: WaitForTasksRequest): Promise<WaitForTasksResult> {
  const open = new Set(request.ids);
  const heard = new Set<string>();
  let signalled = false;
  let wake: (() => void) | undefined;
  const poke = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const stopSettled = await request.queue.onSettled((event) => {
    if (!open.has(event.taskId) || !TERMINAL_STATES.has(event.state)) return;
    heard.add(event.taskId);
    poke();
  });
  let stopSignals: (() => void) | undefined;
  try {
    stopSignals = await runSignalWakeups(request.db).subscribe(request.runId, () => {
      signalled = true;
      poke();
    });
    const safetyMs = request.safetyRecheckMs ?? SAFETY_RECHECK_MS;
    const tasks = new Map<string, TaskOutcome>();
    let toRead = [...open];
    let readSignal = true;
    let recheckAt = Date.now() + safetyMs;
    for (;;) {
      if (toRead.length > 0) await readOutcomes(request.queue, toRead, open, tasks);
      if (open.size === 0) return { tasks };
      if (readSignal) {
        const interrupted = await request.interrupted();
        if (interrupted) return { tasks: new Map(), interrupted };
      }
      const woken =
        heard.size > 0 || signalled
          ? true
          : await new Promise<boolean>((resolve) => {
              const timer = setTimeout(
                () => {
                  wake = undefined;
                  resolve(false);
                },
                Math.max(0, recheckAt - Date.now()),
              );
              wake = () => {
                clearTimeout(timer);
                resolve(true);
              };
            });
      if (woken && Date.now() < recheckAt) {
        toRead = [...heard].filter((id) => open.has(id));
        readSignal = signalled;
      } else {
        toRead = [...open];
        readSignal = true;
        recheckAt = Date.now() + safetyMs;
      }
      heard.clear();
      signalled = false;
    }
  } finally {
    stopSignals?.();
    await stopSettled();
  }
}

/** One read of `ids`; terminal ones move from `open` to `tasks`. An unknown id has nothing to wait for. */
async function readOutcomes(
  queue: Pick<TaskQueue, 'outcomes'>,
  ids: readonly string[],
  open: Set<string>,
  tasks: Map<string, TaskOutcome>,
): Promise<void> {
  const outcomes = await queue.outcomes(ids);
  for (const id of ids) {
    const outcome = outcomes.get(id);
    if (outcome && !TERMINAL_STATES.has(outcome.state)) continue;
    open.delete(id);
    if (outcome) tasks.set(id, outcome);
  }
}
