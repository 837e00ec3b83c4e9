import { staleAttempt } from '../queue/stale-attempt.ts';
import type { Completion, Fence, TaskQueue } from '../queue/task-queue.ts';

export interface CompletionBatcherOptions {
  /** Most completions written by one statement. */
  maxBatch: number;
  /** How long the first completion of a batch waits for company when no write is in flight. */
  waitMs: number;
  /** Retries a write that failed for a storage reason (the pool's policy); rethrows when it gives up. */
  retry: <T>(write: () => Promise<T>) => Promise<T>;
}

interface Pending {
  completion: Completion;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for task completions: the worker pool hands each finished task's result here and one
 * `completeMany` statement writes a batch, each row still fenced by its (task, attempt).
 *
 * A batch goes out when it reaches `maxBatch`, or `waitMs` after its first completion; while a write
 * is in flight, completions gather and go out as soon as it ends (so a busy pool writes large batches
 * and an idle one adds at most `waitMs`). One write at a time keeps batches large and the pool's
 * connections free for claims.
 *
 * A completion's promise resolves once its row committed, and rejects with STALE_ATTEMPT if a newer
 * attempt fenced it out. A crash before the write loses only the write: the task is still `running`
 * with its attempt burned, so its lease lapses and it runs again (at least once, never lost).
 */
export class CompletionBatcher {
  readonly #queue: TaskQueue;
  readonly #o: CompletionBatcherOptions;
  #pending: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;

  constructor(queue: TaskQueue, options: CompletionBatcherOptions) {
    this.#queue = queue;
    this.#o = { ...options, maxBatch: Math.max(1, options.maxBatch) };
  }

  get pendingCount(): number {
    return this.#pending.length;
  }

  complete(fence: Fence, result: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ completion: { fence, result }, resolve, reject });
      this.#schedule();
    });
  }

  /** Writes everything pending now and waits until no write is in flight. */
  async drain(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#writing || this.#pending.length > 0) {
      if (this.#writing) await this.#writing;
      else this.#write();
    }
  }

  #schedule(): void {
    if (this.#writing) return; // the write in flight sends this one when it ends
    if (this.#pending.length >= this.#o.maxBatch || this.#o.waitMs <= 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#write();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      if (!this.#writing) this.#write();
    }, this.#o.waitMs);
  }

  #write(): void {
    const batch = this.#pending.splice(0, this.#o.maxBatch);
    if (batch.length === 0) return;
    this.#writing = this.#send(batch).finally(() => {
      this.#writing = undefined;
      // Whatever gathered during the write has waited long enough: send it now.
      if (this.#pending.length > 0) this.#write();
    });
  }

  async #send(batch: readonly Pending[]): Promise<void> {
    try {
      const { stale } = await this.#o.retry(() => this.#queue.completeMany(batch.map((p) => p.completion)));
      const staleKeys = new Set(stale.map(fenceKey));
      for (const p of batch) {
        if (staleKeys.has(fenceKey(p.completion.fence)))
          p.reject(staleAttempt(p.completion.fence, 'complete'));
        else p.resolve();
      }
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }
}

function fenceKey(f: Fence): string {
  return `${f.taskId}:${f.attempt}`;
}
