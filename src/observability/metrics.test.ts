import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheus, sumOf } from '../../test/support/prometheus.ts';
import { SqlTaskQueue } from '../queue/sql-task-queue.ts';
import type { Database } from '../storage/database.ts';
import { openDatabase } from '../storage/open.ts';
import { createMetrics, createMetricsHandler, METRICS_CONTENT_TYPE, metricsText } from './metrics.ts';
import { serveMetrics } from './metrics-server.ts';

describe('metrics: Prometheus registry of a runtime', () => {
  let db: Database;
  let queue: SqlTaskQueue;

  beforeAll(async () => {
    db = await openDatabase({ driver: 'pglite' });
    queue = new SqlTaskQueue(db);
  });
  afterAll(async () => db?.close());

  it('reads queue depth by state from the tasks table at scrape time', async () => {
    const metrics = createMetrics({ db, queue });
    await queue.enqueueMany([{ type: 'a' }, { type: 'a' }, { type: 'b' }]);
    const [claimed] = await queue.claim({ workerId: 'w', limit: 1 });
    let samples = parsePrometheus(await metricsText(metrics));
    expect(sumOf(samples, 'ideamine_tasks', { state: 'ready' })).toBe(2);
    expect(sumOf(samples, 'ideamine_tasks', { state: 'running' })).toBe(1);
    expect(sumOf(samples, 'ideamine_tasks_due')).toBe(2);
    expect(sumOf(samples, 'ideamine_storage_up')).toBe(1);
    // A second scrape reads again (no stale cache between scrapes).
    await queue.complete({ taskId: claimed?.id as string, attempt: 1 }, null);
    samples = parsePrometheus(await metricsText(metrics));
    expect(sumOf(samples, 'ideamine_tasks', { state: 'running' })).toBe(0);
    expect(sumOf(samples, 'ideamine_tasks', { state: 'succeeded' })).toBe(1);
  });

  it('reads storage once per scrape, shared by every stored-truth collector', async () => {
    let reads = 0;
    const counting = {
      stats: () => {
        reads++;
        return queue.stats();
      },
    };
    const metrics = createMetrics({ db, queue: counting });
    await metricsText(metrics);
    expect(reads).toBe(1);
    await metricsText(metrics);
    expect(reads).toBe(2);
  });

  it('counts what the process observed: claims, outcomes, lease expiries, model tokens and cost', async () => {
    const metrics = createMetrics({ db, queue });
    metrics.tasks.claimed({ type: 'agent.run', waitedMs: 40 });
    metrics.tasks.claimed({ type: 'agent.run', waitedMs: 3_000 });
    metrics.tasks.finished({ type: 'agent.run' }, 'succeeded', 1_500);
    metrics.tasks.finished({ type: 'agent.run' }, 'failed', 20);
    metrics.tasks.leasesExpired(3);
    metrics.models.called({
      provider: 'openai',
      model: 'openai:gpt-x',
      inputTokens: 100,
      outputTokens: 20,
      costUsd: 0.5,
    });
    metrics.models.called({
      provider: 'openai',
      model: 'openai:gpt-x',
      inputTokens: 1,
      outputTokens: 2,
      costUsd: 0.25,
    });
    const samples = parsePrometheus(await metricsText(metrics));
    expect(sumOf(samples, 'ideamine_task_claim_latency_seconds_count', { type: 'agent.run' })).toBe(2);
    expect(sumOf(samples, 'ideamine_task_claim_latency_seconds_sum', { type: 'agent.run' })).toBeCloseTo(
      3.04,
    );
    expect(
      sumOf(samples, 'ideamine_task_claim_latency_seconds_bucket', { type: 'agent.run', le: '0.05' }),
    ).toBe(1);
    expect(sumOf(samples, 'ideamine_tasks_finished_total', { outcome: 'succeeded' })).toBe(1);
    expect(sumOf(samples, 'ideamine_tasks_finished_total', { outcome: 'failed' })).toBe(1);
    expect(sumOf(samples, 'ideamine_task_duration_seconds_sum', { outcome: 'succeeded' })).toBeCloseTo(1.5);
    expect(sumOf(samples, 'ideamine_lease_expiries_total')).toBe(3);
    expect(sumOf(samples, 'ideamine_model_calls_total', { provider: 'openai' })).toBe(2);
    expect(sumOf(samples, 'ideamine_model_tokens_total', { provider: 'openai', direction: 'input' })).toBe(
      101,
    );
    expect(sumOf(samples, 'ideamine_model_tokens_total', { provider: 'openai', direction: 'output' })).toBe(
      22,
    );
    expect(sumOf(samples, 'ideamine_model_cost_usd_total', { provider: 'openai' })).toBeCloseTo(0.75);
    // Process metrics come along (registered once per process).
    expect(samples.some((s) => s.name === 'nodejs_heap_size_used_bytes')).toBe(true);
  });

  it('answers a scrape when storage is down, with ideamine_storage_up 0 and the reason reported', async () => {
    const broken = await openDatabase({ driver: 'pglite' });
    await broken.close();
    const errors: unknown[] = [];
    const metrics = createMetrics({
      db: broken,
      queue: new SqlTaskQueue(broken),
      onError: (e) => errors.push(e),
    });
    const samples = parsePrometheus(await metricsText(metrics));
    expect(sumOf(samples, 'ideamine_storage_up')).toBe(0);
    expect(samples.some((s) => s.name === 'ideamine_tasks')).toBe(false);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('createMetricsHandler gives the text and its content type (for the HTTP API)', async () => {
    const handler = createMetricsHandler({ metrics: createMetrics({ db, queue }) });
    const res = await handler();
    expect(res.status).toBe(200);
    expect(res.contentType).toBe(METRICS_CONTENT_TYPE);
    expect(res.body).toContain('# TYPE ideamine_tasks gauge');
  });

  it('serves GET /metrics on loopback over real HTTP; other paths and methods are refused', async () => {
    const server = await serveMetrics(createMetrics({ db, queue }), { port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const ok = await fetch(server.url);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe(METRICS_CONTENT_TYPE);
      expect(await ok.text()).toContain('ideamine_tasks{state="ready"}');
      expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
      expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
      await expect(serveMetrics(createMetrics({ db, queue }), { port: server.port })).rejects.toThrow(
        /already in use/,
      );
    } finally {
      await server.close();
    }
  });
});
