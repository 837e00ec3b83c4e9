/**
 * Time is injected everywhere the engine decides something by it (leases, backoff, timers), so tests
 * can move time without sleeping. Database-side `now()` stays authoritative for leases across
 * processes; the clock decides *when we look*, the database decides *what is due*.
 */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};
