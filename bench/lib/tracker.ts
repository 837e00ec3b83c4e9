import type { ExactlyOnce } from './record.ts';

/**
 * Counts handler calls per job index (jobs carry `{ i }`), for the exactly-once check every run
 * makes, and optionally the first start time of each job (latency benchmarks).
 */
export class JobTracker {
  readonly expected: number;
  readonly #counts: Uint16Array;
  readonly #startedAt: Float64Array | undefined;
  #distinct = 0;
  #duplicates = 0;
  #foreign = 0;
  #onAll: (() => void) | undefined;

  constructor(expected: number, options: { timeStarts?: boolean } = {}) {
    this.expected = expected;
    this.#counts = new Uint16Array(expected);
    this.#startedAt = options.timeStarts ? new Float64Array(expected).fill(Number.NaN) : undefined;
  }

  /** Called at the start of a handler with the job's index. */
  hit(index: unknown): void {
    const i = typeof index === 'number' ? index : Number(index);
    if (!Number.isInteger(i) || i < 0 || i >= this.expected) {
      this.#foreign++;
      return;
    }
    const seen = this.#counts[i] ?? 0;
    this.#counts[i] = Math.min(65_535, seen + 1);
    if (seen === 0) {
      this.#distinct++;
      if (this.#startedAt) this.#startedAt[i] = performance.now();
      if (this.#distinct === this.expected) this.#onAll?.();
    } else {
      this.#duplicates++;
    }
  }

  get distinct(): number {
    return this.#distinct;
  }

  /** Jobs that did not belong to this run (left over from an earlier one): a harness bug if > 0. */
  get foreign(): number {
    return this.#foreign;
  }

  startedAt(i: number): number {
    return this.#startedAt?.[i] ?? Number.NaN;
  }

  /** Resolves true when every job has been handled at least once, false at the timeout. */
  whenAll(timeoutMs: number): Promise<boolean> {
    if (this.#distinct >= this.expected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#onAll = undefined;
        resolve(false);
      }, timeoutMs);
      this.#onAll = () => {
        clearTimeout(timer);
        this.#onAll = undefined;
        resolve(true);
      };
    });
  }

  /** `unacked`: jobs handled but not acknowledged in the store at the end (counted as losses). */
  result(unacked = 0): ExactlyOnce {
    return {
      expected: this.expected,
      processed: this.#distinct,
      duplicates: this.#duplicates,
      losses: Math.max(this.expected - this.#distinct, unacked),
    };
  }
}
