import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Queryable } from '../storage/database.ts';
import { gateOutcomeCounts, unfinishedRunBudgets } from '../storage/metrics-queries.ts';

/**
 * Prometheus metrics of one runtime (prom-client, a registry per runtime, never the global one).
 *
 * Two kinds:
 * - stored truth, read when scraped (the same from every process): tasks by state, stale writes
 *   rejected, gate outcomes, budget left of unfinished runs;
 * - what this process did, counted as it happens: claim latency, task duration and outcome, lease
 *   expiries its sweeps found, model calls with their tokens and cost by provider. Sum these over
 *   processes (`sum by (...)`) for the whole system.
 */

/** What the queue port's `stats()` returns (structurally; observability does not import the queue). */
export interface QueueStatsLike {
  byState: Record<string, number>;
  due: number;
  oldestReadyAgeMs: number | null;
  staleWritesRejected: number;
}

export interface MetricsSources {
  db: Queryable;
  queue: { stats(): Promise<QueueStatsLike> };
  /** Reports a failed storage read during a scrape (the scrape still answers, with `ideamine_storage_up 0`). */
  onError?: (error: unknown) => void;
}

/** Hooks for the worker pool (engine/worker-pool.ts `WorkerPoolObserver`). */
export interface TaskObserver {
  claimed(task: { type: string; waitedMs: number }): void;
  finished(task: { type: string }, outcome: string, durationMs: number): void;
  leasesExpired(count: number): void;
}

/** Hook for model calls (llm/instrumented-model.ts `ModelObserver`). */
export interface ModelCallObserver {
  called(call: {
    provider: string;
    model: string;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
  }): void;
}

export interface Metrics {
  readonly registry: Registry;
  readonly tasks: TaskObserver;
  readonly models: ModelCallObserver;
}

/** The Prometheus text exposition content type. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

// Agent tasks take seconds to minutes; diagnostics take milliseconds.
const TASK_SECONDS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const CLAIM_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  const stored = storedReads(sources);

  new Gauge({
    name: 'ideamine_storage_up',
    help: '1 when the last scrape could read the database, else 0 (the stored-truth metrics are then absent)',
    registers: [registry],
    async collect() {
      this.set((await stored()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ideamine_tasks',
    help: 'Tasks in the queue by state (read from the tasks table at scrape time)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      const s = await stored();
      for (const [state, n] of Object.entries(s?.queue.byState ?? {})) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'ideamine_tasks_due',
    help: 'Ready tasks whose run_at has passed (claimable now)',
    registers: [registry],
    async collect() {
      this.reset();
      const s = await stored();
      if (s) this.set(s.queue.due);
    },
  });
  new Counter({
    name: 'ideamine_stale_writes_rejected_total',
    help: 'Worker writes rejected because their (task, attempt) fence was stale (stored on the tasks)',
    registers: [registry],
    async collect() {
      this.reset();
      const s = await stored();
      if (s) this.inc(s.queue.staleWritesRejected);
    },
  });
  new Counter({
    name: 'ideamine_gate_outcomes_total',
    help: 'Gate verdicts by phase and outcome (from the ledger)',
    labelNames: ['phase', 'outcome'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const g of (await stored())?.gates ?? [])
        this.inc({ phase: g.phase, outcome: g.outcome }, g.count);
    },
  });
  new Gauge({
    name: 'ideamine_run_budget_remaining',
    help: 'Budget left of each unfinished run, by resource (tokens, usd, toolsMinutes)',
    labelNames: ['run_id', 'resource'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const b of (await stored())?.budgets ?? [])
        this.set({ run_id: b.runId, resource: b.resource }, b.budget - b.used);
    },
  });

  const claimLatency = new Histogram({
    name: 'ideamine_task_claim_latency_seconds',
    help: 'Time from a task becoming due to its claim by this process',
    labelNames: ['type'],
    buckets: CLAIM_SECONDS,
    registers: [registry],
  });
  const taskDuration = new Histogram({
    name: 'ideamine_task_duration_seconds',
    help: 'Handler run time in this process, from claim to the recorded outcome',
    labelNames: ['type', 'outcome'],
    buckets: TASK_SECONDS,
    registers: [registry],
  });
  const tasksFinished = new Counter({
    name: 'ideamine_tasks_finished_total',
    help: 'Handler runs in this process by outcome (succeeded, failed, stale, lease_lost)',
    labelNames: ['type', 'outcome'],
    registers: [registry],
  });
  const leaseExpiries = new Counter({
    name: 'ideamine_lease_expiries_total',
    help: "Running tasks whose lease had expired, put back or dead-lettered by this process's sweeps",
    registers: [registry],
  });
  const modelCalls = new Counter({
    name: 'ideamine_model_calls_total',
    help: 'Model calls made by this process',
    labelNames: ['provider', 'model'],
    registers: [registry],
  });
  const modelTokens = new Counter({
    name: 'ideamine_model_tokens_total',
    help: 'Model tokens used by this process, by provider, model and direction (input, output)',
    labelNames: ['provider', 'model', 'direction'],
    registers: [registry],
  });
  const modelCost = new Counter({
    name: 'ideamine_model_cost_usd_total',
    help: 'Model cost in US dollars incurred by this process (0 for unpriced and offline models)',
    labelNames: ['provider', 'model'],
    registers: [registry],
  });

  return {
    registry,
    tasks: {
      claimed: (task) => claimLatency.observe({ type: task.type }, task.waitedMs / 1_000),
      finished: (task, outcome, durationMs) => {
        tasksFinished.inc({ type: task.type, outcome });
        taskDuration.observe({ type: task.type, outcome }, durationMs / 1_000);
      },
      leasesExpired: (count) => leaseExpiries.inc(count),
    },
    models: {
      called: (call) => {
        const labels = { provider: call.provider, model: call.model };
        modelCalls.inc(labels);
        modelTokens.inc({ ...labels, direction: 'input' }, call.inputTokens);
        modelTokens.inc({ ...labels, direction: 'output' }, call.outputTokens);
        modelCost.inc(labels, call.costUsd);
      },
    },
  };
}

/** The text exposition `GET /metrics` answers: the runtime's metrics and the process's own. */
export function metricsText(metrics: Pick<Metrics, 'registry'>): Promise<string> {
  return Registry.merge([processRegistry(), metrics.registry]).metrics();
}

let processMetrics: Registry | undefined;

/**
 * prom-client's process metrics (CPU, memory, event loop lag, GC), registered once per process and
 * only when something is scraped: each registration adds observers that live as long as the process.
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/**
 * For HTTP servers (`ideamine serve`, `ideamine worker --metrics-port`): answers a scrape with the
 * runtime's metrics as Prometheus text.
 */
export function createMetricsHandler(runtime: {
  metrics: Pick<Metrics, 'registry'>;
}): () => Promise<{ status: 200; contentType: string; body: string }> {
  return async () => ({
    status: 200,
    contentType: METRICS_CONTENT_TYPE,
    body: await metricsText(runtime.metrics),
  });
}

interface StoredSnapshot {
  queue: QueueStatsLike;
  gates: Awaited<ReturnType<typeof gateOutcomeCounts>>;
  budgets: Awaited<ReturnType<typeof unfinishedRunBudgets>>;
}

/**
 * One set of database reads per scrape. prom-client starts every collector of a scrape in the same
 * synchronous pass (`Promise.all` over the metrics), and each collector asks for the snapshot before
 * its first await: they share the read started by the first one, and the shared promise is dropped
 * at the next microtask, so the next scrape reads again. Undefined when storage could not be read.
 */
function storedReads(sources: MetricsSources): () => Promise<StoredSnapshot | undefined> {
  let shared: Promise<StoredSnapshot | undefined> | undefined;
  return () => {
    if (!shared) {
      shared = readStored(sources);
      queueMicrotask(() => {
        shared = undefined;
      });
    }
    return shared;
  };
}

async function readStored(sources: MetricsSources): Promise<StoredSnapshot | undefined> {
  try {
    const [queue, gates, budgets] = await Promise.all([
      sources.queue.stats(),
      gateOutcomeCounts(sources.db),
      unfinishedRunBudgets(sources.db),
    ]);
    return { queue, gates, budgets };
  } catch (error) {
    sources.onError?.(error);
    return undefined;
  }
}
