import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type OtlpReceiver, startOtlpReceiver } from '../../test/support/otlp-receiver.ts';
import { currentTraceCarrier, TraceAttr, withSpan } from '../core/trace.ts';
import { WorkerPool } from '../engine/worker-pool.ts';
import { instrumentModel } from '../llm/instrumented-model.ts';
import { createOfflineModel } from '../llm/offline-model.ts';
import { SqlTaskQueue } from '../queue/sql-task-queue.ts';
import type { Database } from '../storage/database.ts';
import { openDatabase } from '../storage/open.ts';
import { startTracing, type Tracing, tracesUrl } from './tracing.ts';

/**
 * In one process, over real HTTP: spans reach a local OTLP receiver as JSON, and a task enqueued
 * inside a span is run by a worker pool under a task span whose parent is that span (the trace
 * context went through the tasks table, not through memory).
 */
describe('tracing: OTLP/HTTP export and trace context stored with a task', () => {
  let receiver: OtlpReceiver;
  let tracing: Tracing;
  let db: Database;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    tracing = startTracing({ endpoint: receiver.url, instanceId: 'test' });
    db = await openDatabase({ driver: 'pglite' });
  });
  afterAll(async () => {
    await tracing?.stop();
    await db?.close();
    await receiver?.close();
  });

  it('appends /v1/traces to the base endpoint', () => {
    expect(tracesUrl('http://collector:4318/')).toBe('http://collector:4318/v1/traces');
  });

  it('a worker continues the trace of the span that enqueued the task; model spans hold no prompt', async () => {
    const queue = new SqlTaskQueue(db);
    const model = instrumentModel(createOfflineModel());
    const handlers = new Map([
      [
        'probe',
        async () => {
          const response = await model.generate({
            agent: { id: 'probe-agent', version: '1.0.0' },
            system: 'SECRET-SYSTEM-PROMPT',
            prompt: 'SECRET-USER-PROMPT',
            schema: z.object({ ok: z.boolean() }),
            offline: () => ({ ok: true }),
          });
          return response.output;
        },
      ],
    ]);
    let taskId = '';
    let enqueuer = '';
    await withSpan('stage dispatch', { [TraceAttr.runId]: 'r1' }, async (span) => {
      enqueuer = span.spanContext().spanId;
      expect(currentTraceCarrier()?.['traceparent']).toContain(span.spanContext().traceId);
      taskId = (await queue.enqueue({ type: 'probe', input: {} })).task.id;
    });
    // Outside any span, nothing is carried.
    expect(currentTraceCarrier()).toBeNull();
    const untraced = (await queue.enqueue({ type: 'probe', input: { n: 2 } })).task.id;

    const pool = new WorkerPool({ queue, handlers, concurrency: 2, heartbeatMs: 200, pollMaxMs: 50 });
    await pool.start();
    for (let i = 0; i < 200 && (await queue.stats()).byState.succeeded < 2; i++)
      await new Promise((r) => setTimeout(r, 25));
    await pool.stop({ graceMs: 1_000 });
    await tracing.flush();

    expect(receiver.rejected).toEqual([]);
    const stage = receiver.spans.find((s) => s.spanId === enqueuer);
    const task = receiver.spans.find((s) => s.attributes[TraceAttr.taskId] === taskId);
    const other = receiver.spans.find((s) => s.attributes[TraceAttr.taskId] === untraced);
    expect(stage?.name).toBe('stage dispatch');
    expect(task).toMatchObject({ name: 'task probe', parentSpanId: enqueuer, traceId: stage?.traceId });
    expect(task?.attributes[TraceAttr.outcome]).toBe('succeeded');
    expect(task?.resource['service.instance.id']).toBe('test');
    // A task enqueued outside any trace starts its own.
    expect(other?.parentSpanId).toBe('');
    expect(other?.traceId).not.toBe(stage?.traceId);

    const call = receiver.spans.find((s) => s.name === 'model offline' && s.parentSpanId === task?.spanId);
    expect(call?.attributes).toMatchObject({
      'gen_ai.provider.name': 'offline',
      'gen_ai.request.model': 'offline',
      [TraceAttr.agent]: 'probe-agent@1.0.0',
    });
    expect(typeof call?.attributes['gen_ai.usage.input_tokens']).toBe('number');
    const everything = JSON.stringify(receiver.spans.map((s) => s.attributes));
    expect(everything).not.toContain('SECRET');
  });
});
