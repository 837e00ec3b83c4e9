import { hostname } from 'node:os';
import { isOwnerDead } from '../engine/run-lease.ts';
import type { RunningLease, TaskQueue } from '../queue/task-queue.ts';
import type { Database } from '../storage/database.ts';
import { isProcessAlive } from '../storage/lock-file.ts';
import { releaseAbandonedReservations } from './paid-model-call.ts';

/**
 * Orphaned tasks of a dead driver. `ideamine run` drives a run with an in-process worker pool; when it
 * is killed, its tasks stay `running` under leases nobody renews (agent tasks hold theirs for minutes)
 * and the supervisor would only notice after the stall window, then re-run them with an unsticker
 * strategy (a different prompt, paid again). The process that takes over the run instead hands them
 * back at once, as a lapsed lease would, but only those whose holder is known dead:
 *
 * - same host, pid gone (always the case on the embedded PGlite, where one process owns the data dir);
 * - or the process of the previous run-lease holder, whose lease lapsed before this one was taken, for
 *   attempts that have not heartbeated since that lease ran out (on a Postgres server, across hosts).
 *
 * A live worker elsewhere (another host's `ideamine worker`, or one that keeps heartbeating) keeps its
 * tasks: the expiry is fenced by (task, attempt, lease owner).
 */

export interface PreviousDriver {
  /** The run lease's holder before this process took it (`<host>:<pid>:<nonce>`). */
  owner: string;
  /** When its lease ran out. */
  leaseUntil: Date | null;
}

/** Hands the dead driver's running attempts back to the queue; returns how many. */
export async function reclaimOrphanedTasks(
  deps: { db: Database; queue: TaskQueue },
  runId: string,
  previous: PreviousDriver | undefined,
  self: string,
): Promise<{ reclaimed: number; reservationsReleased: number }> {
  const leases = await deps.queue.runningLeases(runId);
  const orphans = leases.filter((lease) => isOrphan(lease, previous, self));
  const expired = await deps.queue.expireLeases(orphans);
  if (expired > 0) await deps.queue.reclaimExpired();
  // Attempts that were the task's last one went `dead` above: nobody will come back for their reservation.
  const reservationsReleased = await releaseAbandonedReservations(deps.db, runId);
  return { reclaimed: expired, reservationsReleased };
}

/** `<host>:<pid>` of a lease owner: the driver's run lease and its worker pool share it. */
function processOf(owner: string): string {
  return owner.split(':').slice(0, 2).join(':');
}

export function isOrphan(lease: RunningLease, previous: PreviousDriver | undefined, self: string): boolean {
  if (processOf(lease.owner) === processOf(self)) return false;
  if (isOwnerDead(lease.owner, hostname(), isProcessAlive)) return true;
  if (!previous?.leaseUntil || processOf(previous.owner) === processOf(self)) return false;
  return (
    processOf(lease.owner) === processOf(previous.owner) &&
    lease.heartbeatAt !== null &&
    lease.heartbeatAt < previous.leaseUntil
  );
}
