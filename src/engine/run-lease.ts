import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import type { Database } from '../storage/database.ts';
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
    const rows = await this.#db.query<{ lease_epoch: number }>(
      `update runs set lease_owner = $2, lease_until = clock_timestamp() + $3 * interval '1 millisecond',
              lease_epoch = case when lease_owner = $2 and lease_until >= clock_timestamp() then lease_epoch else lease_epoch + 1 end
        where id = $1 and (lease_owner is null or lease_owner = $2 or lease_until < clock_timestamp())
       returning lease_epoch`,
      [runId, this.#owner, this.#ttlMs],
    );
    const row = rows[0];
    return row ? { runId, owner: this.#owner, epoch: row.lease_epoch } : undefined;
  }

  /**
   * Takes the lease from a holder known to be dead (its pid is gone on this host), without waiting
   * for the lease to lapse. The epoch still increases, so the dead holder's fence is void.
   */
  async takeOverFrom(runId: string, deadOwner: string): Promise<StepFence | undefined> {
    const rows = await this.#db.query<{ lease_epoch: number }>(
      `update runs set lease_owner = $2, lease_until = clock_timestamp() + $3 * interval '1 millisecond', lease_epoch = lease_epoch + 1
        where id = $1 and lease_owner = $4 returning lease_epoch`,
      [runId, this.#owner, this.#ttlMs, deadOwner],
    );
    const row = rows[0];
    return row ? { runId, owner: this.#owner, epoch: row.lease_epoch } : undefined;
  }

  /** Extends the lease; throws LEASE_LOST if another process has taken it. */
  async renew(fence: StepFence): Promise<void> {
    const rows = await this.#db.query(
      `update runs set lease_until = clock_timestamp() + $4 * interval '1 millisecond'
        where id = $1 and lease_owner = $2 and lease_epoch = $3 returning id`,
      [fence.runId, fence.owner, fence.epoch, this.#ttlMs],
    );
    if (rows.length === 0) {
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
    await this.#db.query(
      `update runs set lease_owner = null, lease_until = null where id = $1 and lease_owner = $2 and lease_epoch = $3`,
      [fence.runId, fence.owner, fence.epoch],
    );
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
