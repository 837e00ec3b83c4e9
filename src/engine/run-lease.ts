import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import type { Database } from '../storage/database.ts';
import {
  acquireRunLease,
  releaseRunLease,
  renewRunLease,
  takeOverRunLease,
} from '../storage/run-lease-store.ts';
import type { StepFence } from './steps.ts';

/**
 * The run lease (invariant 10): one process drives a run at a time. The holder renews it; if the
 * holder dies the lease lapses and any process may take it, bumping the epoch so that writes fenced
 * by the old epoch (durable steps) are rejected.
 */
export class RunLease {
  readonly #db: Database;
  readonly #owner: string;
  readonly #ttlMs: number;

  constructor(db: Database, owner: string, ttlMs = 30_000) {
    this.#db = db;
    this.#owner = owner;
    this.#ttlMs = ttlMs;
  }

  get owner(): string {
    return this.#owner;
  }

  /** Takes the lease if it is free, lapsed, or already ours; returns the fence, or undefined if held elsewhere. */
  async acquire(runId: string): Promise<StepFence | undefined> {
    const epoch = await acquireRunLease(this.#db, runId, this.#owner, this.#ttlMs);
    return epoch === undefined ? undefined : { runId, owner: this.#owner, epoch };
  }

  /**
   * Takes the lease from a holder known to be dead (its pid is gone on this host), without waiting
   * for the lease to lapse. The epoch still increases, so the dead holder's fence is void.
   */
  async takeOverFrom(runId: string, deadOwner: string): Promise<StepFence | undefined> {
    const epoch = await takeOverRunLease(this.#db, runId, this.#owner, this.#ttlMs, deadOwner);
    return epoch === undefined ? undefined : { runId, owner: this.#owner, epoch };
  }

  /** Extends the lease; throws LEASE_LOST if another process has taken it. */
  async renew(fence: StepFence): Promise<void> {
    if (!(await renewRunLease(this.#db, fence, this.#ttlMs))) {
      throw new IdeaMineError(
        ErrorCode.leaseLost,
        `lost the lease on run ${fence.runId} to another process`,
        {
          errorClass: ErrorClass.fatal,
        },
      );
    }
  }

  async release(fence: StepFence): Promise<void> {
    await releaseRunLease(this.#db, fence);
  }

  /** Keeps the lease renewed until stopped; calls onLost if it cannot. */
  keepAlive(fence: StepFence, onLost: (error: unknown) => void): () => void {
    const timer = setInterval(
      () => {
        this.renew(fence).catch((error) => {
          clearInterval(timer);
          onLost(error);
        });
      },
      Math.max(100, Math.floor(this.#ttlMs / 3)),
    );
    timer.unref();
    return () => clearInterval(timer);
  }
}

/** Lease owners are `<host>:<pid>:<nonce>`; true when that process is known dead (same host, pid gone). */
export function isOwnerDead(owner: string, thisHost: string, alive: (pid: number) => boolean): boolean {
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  return host === thisHost && Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid);
}
