import { coerceError, ErrorCode } from '../core/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Orchestrator, RunOutcome } from '../orchestrator/orchestrator.ts';

/** Starts driving a run without waiting for it (the API answers at once). */
export interface RunDriver {
  drive(runId: string): void;
}

/**
 * Drives runs in the background of a `serve` process, one `Orchestrator.drive` per run. The run lease
 * makes a second drive of the same run (here or in another process) fail with CONFLICT, which is
 * expected and ignored. `stop` pauses what this process drives — a persisted signal, so a later
 * `POST /api/runs/:id/resume` or `ideamine resume` continues exactly there — and waits for the drives
 * to settle.
 *
 * States: accepting → stopping → stopped. `drive` after `stop` is refused (logged, nothing started).
 */
export class BackgroundRunDriver implements RunDriver {
  readonly #orchestrator: Orchestrator;
  readonly #logger: Logger;
  readonly #active = new Map<string, Promise<RunOutcome | undefined>>();
  #state: 'accepting' | 'stopping' | 'stopped' = 'accepting';

  constructor(deps: { orchestrator: Orchestrator; logger: Logger }) {
    this.#orchestrator = deps.orchestrator;
    this.#logger = deps.logger;
  }

  get activeRuns(): string[] {
    return [...this.#active.keys()];
  }

  drive(runId: string): void {
    if (this.#state !== 'accepting') {
      this.#logger.warn({ runId }, 'not driving: the server is stopping');
      return;
    }
    if (this.#active.has(runId)) return;
    const driving = this.#orchestrator.drive(runId).then(
      (outcome) => {
        this.#logger.info({ runId, outcome }, 'run settled');
        return outcome;
      },
      (error: unknown) => {
        const e = coerceError(error);
        if (e.code === ErrorCode.conflict) this.#logger.info({ runId }, e.message);
        else this.#logger.error({ runId, code: e.code, err: e.message }, 'driving the run failed');
        return undefined;
      },
    );
    this.#active.set(runId, driving);
    void driving.finally(() => this.#active.delete(runId));
  }

  /** Pauses the runs this process drives and waits for them to stop (at their next stage boundary). */
  async stop(): Promise<void> {
    if (this.#state !== 'accepting') return;
    this.#state = 'stopping';
    const active = [...this.#active.entries()];
    await Promise.all(
      active.map(([runId]) =>
        this.#orchestrator.signal(runId, 'pause', 'serve.shutdown').catch(() => undefined),
      ),
    );
    await Promise.all(active.map(([, p]) => p));
    this.#state = 'stopped';
  }
}
