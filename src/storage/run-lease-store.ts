import type { Queryable } from './database.ts';

/**
 * The run lease's columns of `runs` (`lease_owner`, `lease_until`, `lease_epoch`; invariant 10). The
 * RunLease in `src/engine/run-lease.ts` decides when to take, renew and give up the lease; these
 * statements make each of those one atomic update, so two processes can never both hold it.
 * Lease times are the database's `clock_timestamp()`: every process compares against one clock.
 */

/** Proof of holding a run's lease; writes fenced by it fail once another process takes the lease. */
export interface RunLeaseFence {
  runId: string;
  owner: string;
  epoch: number;
}

/**
 * Takes the lease if it is free, lapsed, or already `owner`'s; returns the epoch, or undefined when
 * another process holds it. Re-taking one's own live lease keeps the epoch; any other take bumps it.
 */
export async function acquireRunLease(
  q: Queryable,
  runId: string,
  owner: string,
  ttlMs: number,
): Promise<number | undefined> {
  const rows = await q.query<{ lease_epoch: number }>(
    `update runs set lease_owner = $2, lease_until = clock_timestamp() + $3 * interval '1 millisecond',
            lease_epoch = case when lease_owner = $2 and lease_until >= clock_timestamp() then lease_epoch else lease_epoch + 1 end
      where id = $1 and (lease_owner is null or lease_owner = $2 or lease_until < clock_timestamp())
     returning lease_epoch`,
    [runId, owner, ttlMs],
  );
  return rows[0]?.lease_epoch;
}

/** Takes the lease from `deadOwner` whether or not it has lapsed, bumping the epoch; undefined if it moved on. */
export async function takeOverRunLease(
  q: Queryable,
  runId: string,
  owner: string,
  ttlMs: number,
  deadOwner: string,
): Promise<number | undefined> {
  const rows = await q.query<{ lease_epoch: number }>(
    `update runs set lease_owner = $2, lease_until = clock_timestamp() + $3 * interval '1 millisecond', lease_epoch = lease_epoch + 1
      where id = $1 and lease_owner = $4 returning lease_epoch`,
    [runId, owner, ttlMs, deadOwner],
  );
  return rows[0]?.lease_epoch;
}

/** Extends a held lease by `ttlMs` from now; false when the fence no longer holds it. */
export async function renewRunLease(q: Queryable, fence: RunLeaseFence, ttlMs: number): Promise<boolean> {
  const rows = await q.query(
    `update runs set lease_until = clock_timestamp() + $4 * interval '1 millisecond'
      where id = $1 and lease_owner = $2 and lease_epoch = $3 returning id`,
    [fence.runId, fence.owner, fence.epoch, ttlMs],
  );
  return rows.length > 0;
}

/** Frees the lease if the fence still holds it (the epoch stays, so the next take bumps past it). */
export async function releaseRunLease(q: Queryable, fence: RunLeaseFence): Promise<void> {
  await q.query(
    `update runs set lease_owner = null, lease_until = null where id = $1 and lease_owner = $2 and lease_epoch = $3`,
    [fence.runId, fence.owner, fence.epoch],
  );
}
