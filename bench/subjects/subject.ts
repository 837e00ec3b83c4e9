/**
 * A queue under test, seen the same way for every system: enqueue jobs carrying `{ i }`, run a
 * handler for each, and tell how many jobs the store still holds unacknowledged. B1, B2 and B8 are
 * written once against this port.
 */

export interface JobPayload {
  i: number;
  /** Optional padding (B8 state per task). */
  pad?: string;
}

export type JobHandler = (payload: JobPayload) => Promise<void> | void;

export interface WorkerSettings {
  concurrency: number;
  /** `default`: the system's shipped worker; `batched`: its batching features on; `claim1`: see ideamine. */
  config: string;
}

export interface QueueSubject {
  readonly name: string;
  /** Configs this subject supports; others are reported as n/a with `unsupported[config]` as the note. */
  readonly configs: readonly string[];
  readonly unsupported: Readonly<Record<string, string>>;
  /** Settings worth recording next to the figures (lease, polling, batching). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Time the last `startWorkers` spent starting (reported when a system has a slow start, e.g. DBOS launch). */
  readonly startupMs?: number;
  /** Subject-specific figures since the last `startWorkers` (IdeaMine: claim statements and their batch size). */
  workerStats?(): Record<string, number | null>;
  resetWorkerStats?(): void;
  setup(): Promise<void>;
  /**
   * In another process: connect to the store `setup()` created (same `SubjectEnv.suffix`) without
   * creating or filling anything, so that a worker runs in its own process (B1). Absent: the
   * subject cannot run its worker in a separate process (PGlite is single-process).
   */
  attach?(): Promise<void>;
  /** The store lives in this process (PGlite): no worker can attach from another process. */
  readonly singleProcess?: boolean;
  /** Bulk enqueue, using the system's batch API when it has one. */
  enqueueMany(payloads: readonly JobPayload[]): Promise<void>;
  enqueueOne(payload: JobPayload): Promise<void>;
  startWorkers(handler: JobHandler, settings: WorkerSettings): Promise<void>;
  stopWorkers(): Promise<void>;
  /** Jobs not yet acknowledged as done in the store. */
  remaining(): Promise<number>;
  /** Empties the store between runs. */
  reset(): Promise<void>;
  /** Drops everything this subject created (schema, keys, data dir). */
  teardown(): Promise<void>;
}

export interface SubjectEnv {
  pgUrl: string;
  redisUrl: string;
  redisPrefix: string;
  /** Unique suffix for schema names. */
  suffix: string;
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}
