import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceAttr } from '../../src/core/trace.ts';
import type { Database } from '../../src/storage/database.ts';
import { openDatabase } from '../../src/storage/open.ts';
import { listPhaseMetrics, type PhaseMetricsRecord } from '../../src/storage/phase-metrics-store.ts';
import { getPhases, getRun, type PhaseRecord } from '../../src/storage/run-store.ts';
import { captureOutput, runCli, spawnCli, waitForJsonLine } from '../support/cli.ts';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.ts';
import { parsePrometheus, type Sample, sumOf } from '../support/prometheus.ts';
import { dropSchema, POSTGRES_URL, postgresReachable, uniqueSchema } from '../support/services.ts';

/**
 * Issue 12, metrics and traces, end to end on Postgres with two real processes: `ideamine run`
 * drives an offline run (its own pool runs one task at a time) while a separate `ideamine worker
 * --metrics-port 0` runs tasks too. Both export spans over OTLP/HTTP to a local receiver.
 *
 * Checked: one run span, 13 phase spans parented on it, stages under phases, task spans under
 * stages — some emitted by the worker process with a parent span from the driving process — model
 * spans under tasks, tool spans with `id@version`; `/metrics` during and after the run; 13
 * phase_metrics rows that agree with the stored tasks and usage.
 */
describe.runIf(postgresReachable)('observability: traces across processes, /metrics, phase_metrics', () => {
  const schema = uniqueSchema('obs');
  const home = mkdtempSync(join(tmpdir(), 'ideamine-obs-'));
  let receiver: OtlpReceiver;
  let db: Database;
  let worker: ChildProcess;
  let metricsUrl = '';
  let runId = '';
  let driverPid = 0;
  let during: Sample[] = [];
  let after: Sample[] = [];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    db = await openDatabase({ driver: 'postgres', url: POSTGRES_URL, schema, poolSize: 2 });
    const env = {
      DATABASE_URL: POSTGRES_URL,
      IDEAMINE_PG_SCHEMA: schema,
      IDEAMINE_HOME: home,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    };
    worker = spawnCli(['worker', '--concurrency', '4', '--metrics-port', '0'], env);
    const started = await waitForJsonLine(worker, (l) => l['event'] === 'worker.started', 60_000);
    metricsUrl = String(started['metrics']);

    const driver = spawnCli(['run', 'A shared todo app for small teams', '--json'], {
      ...env,
      IDEAMINE_CONCURRENCY: '1',
    });
    driverPid = driver.pid ?? 0;
    const output = captureOutput(driver);
    const exited = once(driver, 'exit');
    // While the run is live: scrape until the run's budget gauge shows up (it disappears once the run ends).
    for (let i = 0; i < 600 && driver.exitCode === null; i++) {
      const samples = parsePrometheus(await (await fetch(metricsUrl)).text());
      if (samples.some((s) => s.name === 'ideamine_run_budget_remaining')) {
        during = samples;
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const [code] = (await exited) as [number | null];
    if (code !== 0) throw new Error(`ideamine run exited ${code}: ${output.stderr().slice(-2_000)}`);
    const summary = output
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['type'] === 'run.summary');
    runId = String(summary?.['runId']);

    after = parsePrometheus(await (await fetch(metricsUrl)).text());
    worker.kill('SIGTERM'); // a graceful stop flushes the worker's spans
    await once(worker, 'exit');
  }, 900_000);

  afterAll(async () => {
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    await db?.close();
    await receiver?.close();
    await dropSchema(schema);
    rmSync(home, { recursive: true, force: true });
  });

  const spansOfRun = (): ReceivedSpan[] => {
    const run = receiver.spans.find((s) => s.name === 'run' && s.attributes[TraceAttr.runId] === runId);
    return receiver.spans.filter((s) => s.traceId === run?.traceId);
  };
  const pidOf = (s: ReceivedSpan) => Number(s.resource['process.pid']);

  it('exports one trace: run → 13 phases → stages → tasks → model calls and tools', () => {
    expect(receiver.rejected).toEqual([]);
    const spans = spansOfRun();
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const runs = spans.filter((s) => s.name === 'run');
    expect(runs).toHaveLength(1);
    const run = runs[0] as ReceivedSpan;
    expect(run.parentSpanId).toBe('');
    expect(run.attributes[TraceAttr.outcome]).toBe('succeeded');

    const phases = spans.filter((s) => s.name.startsWith('phase '));
    expect(phases).toHaveLength(13);
    expect(new Set(phases.map((p) => p.attributes[TraceAttr.phase])).size).toBe(13);
    for (const p of phases) expect(p.parentSpanId).toBe(run.spanId);

    const stages = spans.filter((s) => s.name.startsWith('stage '));
    for (const s of stages) expect(byId.get(s.parentSpanId)?.name).toMatch(/^phase /);
    for (const p of phases)
      expect(stages.filter((s) => s.parentSpanId === p.spanId).map((s) => s.name)).toContain('stage handoff');

    const tasks = spans.filter((s) => s.name === 'task agent.run');
    expect(tasks.length).toBeGreaterThanOrEqual(13);
    for (const t of tasks) {
      expect(byId.get(t.parentSpanId)?.name).toMatch(/^stage (dispatch|heal)$/);
      expect(t.attributes[TraceAttr.runId]).toBe(runId);
      expect(t.attributes[TraceAttr.taskId]).toMatch(/^[0-9a-f-]{36}$/);
      expect(t.attributes[TraceAttr.phase]).toBe(byId.get(t.parentSpanId)?.attributes[TraceAttr.phase]);
    }
    const models = spans.filter((s) => s.name.startsWith('model '));
    expect(models.length).toBeGreaterThanOrEqual(tasks.length);
    for (const m of models) {
      expect(byId.get(m.parentSpanId)?.name).toMatch(/^(task agent\.run|stage [a-z]+)$/);
      expect(m.attributes['gen_ai.provider.name']).toBe('offline');
      expect(typeof m.attributes['gen_ai.usage.output_tokens']).toBe('number');
    }
    const tools = spans.filter((s) => s.name.startsWith('tool '));
    expect(tools.length).toBeGreaterThan(0);
    for (const t of tools) {
      expect(byId.get(t.parentSpanId)?.name).toBe('stage measure');
      expect(String(t.attributes[TraceAttr.tool])).toMatch(/^[a-z0-9-]+@\S+$/);
    }
    // Ids and figures only: the idea's text never appears in an attribute.
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('todo app');
  });

  it('continues the trace in the worker process: its task spans have parents from the driving process', async () => {
    const spans = spansOfRun();
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const workerPid = worker.pid;
    const remote = spans.filter((s) => s.name === 'task agent.run' && pidOf(s) === workerPid);
    const local = spans.filter((s) => s.name === 'task agent.run' && pidOf(s) === driverPid);
    console.info(
      `observability: ${spans.length} spans in the run's trace; agent tasks: ${remote.length} in the worker, ${local.length} in the driver`,
    );
    expect(remote.length).toBeGreaterThan(0);
    for (const t of remote) expect(pidOf(byId.get(t.parentSpanId) as ReceivedSpan)).toBe(driverPid);
    // Every succeeded task of the run has exactly one succeeded task span, in one process or the other.
    const stored = await db.query<{ id: string }>(
      `select id from tasks where run_id = $1 and type = 'agent.run' and state = 'succeeded' order by id`,
      [runId],
    );
    const succeeded = spans
      .filter((s) => s.name === 'task agent.run' && s.attributes[TraceAttr.outcome] === 'succeeded')
      .map((s) => String(s.attributes[TraceAttr.taskId]))
      .sort();
    expect(succeeded).toEqual(stored.map((r) => r.id));
  });

  it('serves /metrics from the worker: stored truth and what the worker did, consistent with the traces', async () => {
    // During the run: the run's budget left, not more than its budget.
    const run = await getRun(db, runId);
    const left = during.find(
      (s) => s.name === 'ideamine_run_budget_remaining' && s.labels['resource'] === 'tokens',
    );
    expect(left?.labels['run_id']).toBe(runId);
    expect(left?.value).toBeLessThanOrEqual(Number(run?.budgets['tokens']));
    expect(sumOf(during, 'ideamine_storage_up')).toBe(1);

    // After it: queue depth by state equals the tasks table.
    const states = await db.query<{ state: string; n: number }>(
      'select state, count(*)::int as n from tasks group by state',
    );
    for (const { state, n } of states) expect(sumOf(after, 'ideamine_tasks', { state })).toBe(n);
    const gates = await db.query<{ n: number }>(
      `select count(*)::int as n from ledger where type = 'gate' and (data ->> 'pass')::boolean`,
    );
    expect(sumOf(after, 'ideamine_gate_outcomes_total', { outcome: 'passed' })).toBe(gates[0]?.n);
    expect(gates[0]?.n).toBeGreaterThanOrEqual(13);
    expect(after.some((s) => s.name === 'ideamine_stale_writes_rejected_total')).toBe(true);
    expect(after.some((s) => s.name === 'ideamine_lease_expiries_total')).toBe(true);
    expect(after.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);

    // The worker's own counters agree with the spans it exported.
    const workerSpans = spansOfRun().filter((s) => pidOf(s) === worker.pid);
    const workerTasks = workerSpans.filter((s) => s.name === 'task agent.run');
    const finished = sumOf(after, 'ideamine_tasks_finished_total', { type: 'agent.run' });
    expect(finished).toBe(workerTasks.length);
    expect(sumOf(after, 'ideamine_tasks_finished_total', { type: 'agent.run', outcome: 'succeeded' })).toBe(
      workerTasks.filter((s) => s.attributes[TraceAttr.outcome] === 'succeeded').length,
    );
    expect(sumOf(after, 'ideamine_task_claim_latency_seconds_count', { type: 'agent.run' })).toBe(finished);
    expect(sumOf(after, 'ideamine_task_duration_seconds_count', { type: 'agent.run' })).toBe(finished);
    const modelSpans = workerSpans.filter((s) => s.name.startsWith('model '));
    expect(sumOf(after, 'ideamine_model_calls_total', { provider: 'offline' })).toBe(modelSpans.length);
    const tokens = modelSpans.reduce(
      (n, s) =>
        n +
        Number(s.attributes['gen_ai.usage.input_tokens']) +
        Number(s.attributes['gen_ai.usage.output_tokens']),
      0,
    );
    expect(sumOf(after, 'ideamine_model_tokens_total', { provider: 'offline' })).toBe(tokens);
  });

  it('writes 13 phase_metrics rows that agree with the stored tasks and usage', async () => {
    const rows = await listPhaseMetrics(db, runId);
    const phases = await getPhases(db, runId);
    expect(rows).toHaveLength(13);
    const byPhase = new Map<string, PhaseRecord>(phases.map((p) => [p.phase, p]));
    const counts = await db.query<{ phase: string; n: number; retries: number }>(
      `select p.phase_id as phase, count(t.id)::int as n, coalesce(sum(greatest(t.attempt - 1, 0)), 0)::int as retries
         from phases p left join tasks t on t.phase_id = p.id where p.run_id = $1 group by p.phase_id`,
      [runId],
    );
    for (const row of rows as PhaseMetricsRecord[]) {
      const phase = byPhase.get(row.phase) as PhaseRecord;
      const count = counts.find((c) => c.phase === row.phase);
      expect(row).toMatchObject({ generation: 0, outcome: 'passed', gateAttempts: phase.gateAttempts });
      expect(row.tasks).toBe(count?.n);
      expect(row.retries).toBe(count?.retries);
      expect(row.tasksSucceeded).toBeLessThanOrEqual(row.tasks);
      expect(row.tasks).toBeGreaterThan(0);
      expect(row.taskP50Ms).not.toBeNull();
      expect(row.taskP50Ms as number).toBeLessThanOrEqual(row.taskP95Ms as number);
      expect(row.durationMs).toBeGreaterThan(0);
      expect(row.tokens).toBe(Math.round(Number(phase.usage['tokens'] ?? 0)));
      expect(row.stalls).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('ideamine worker --metrics-port: usage errors', () => {
  it('rejects a port that is not 0..65535 with exit 2, before opening any storage', async () => {
    for (const port of ['abc', '70000', '1.5']) {
      const result = await runCli(['worker', '--metrics-port', port], {
        DATABASE_URL: 'postgres://127.0.0.1:1/none',
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--metrics-port: expected a port number from 0 to 65535');
    }
  });
});
