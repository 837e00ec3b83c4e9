import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Idea } from '../../src/core/agent.ts';
import { WorkerPool } from '../../src/engine/worker-pool.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import type { RunOutcome } from '../../src/orchestrator/orchestrator.ts';
import { openRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.ts';
import { readEvents, type StoredEvent } from '../../src/storage/event-store.ts';

/** An embedded IdeaMine in a temp home, driven through the library the way `ideamine run` drives it. */
export interface Harness {
  rt: Runtime;
  home: string;
  run(idea: Idea): Promise<{ runId: string; outcome: RunOutcome }>;
  events(runId: string): Promise<StoredEvent[]>;
  close(): Promise<void>;
}

export async function openHarness(overrides: Partial<RuntimeOptions> = {}): Promise<Harness> {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-acceptance-'));
  const rt = await openRuntime(
    { home, leaseMs: 30_000, logLevel: 'silent', model: 'offline', ...overrides },
    silentLogger,
  );
  const pool = new WorkerPool({
    queue: rt.queue,
    handlers: rt.handlers,
    concurrency: 4,
    heartbeatMs: 1_000,
    pollMaxMs: 200,
  });
  await pool.start();
  rt.supervisor.start();
  return {
    rt,
    home,
    async run(idea) {
      const { runId } = await rt.orchestrator.createRun(idea, await rt.loadPhaseConfigs());
      return { runId, outcome: await rt.orchestrator.drive(runId) };
    },
    events: (runId) => readEvents(rt.db, { runId, limit: 100_000 }),
    async close() {
      await pool.stop({ graceMs: 0 });
      await rt.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export const TODO_IDEA: Idea = {
  title: 'A shared todo app for small teams',
  description: 'A shared todo app for small teams',
};
