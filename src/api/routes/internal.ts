import type { Context } from 'hono';
import { z } from 'zod';
import { ErrorCode, IdeaMineError, invalidInput } from '../../core/errors.ts';
import type { RunPlan } from '../../core/schemas/run-plan.ts';
import { evaluateGate, type MetricOrigin } from '../../orchestrator/gatekeeper.ts';
import { fission, refine } from '../../orchestrator/qav/refinery.ts';
import type { Runtime } from '../../runtime.ts';
import { EVENTS_CHANNEL } from '../../storage/event-store.ts';
import { activeWaivers, getPhases, getRun } from '../../storage/run-store.ts';
import type { ApiEnv } from '../auth.ts';
import { INVALID_REQUEST, notFound, problem, type RouteTable } from '../route-table.ts';
import type { RunDriver } from '../run-driver.ts';
import {
  GateEvaluateSchema,
  GateResultSchema,
  HeartbeatSchema,
  KmapDeltaSchema,
  PhaseRunSchema,
  PhaseSchema,
  PhaseTaskSchema,
  RefineryIngestSchema,
  TaskSchema,
} from '../schemas.ts';
import { phaseView } from '../views.ts';
import { HEARTBEAT_RESPONSES, heartbeat, submitTask } from './tasks.ts';

const TAG = 'internal';
const PhaseParams = z.strictObject({ phase: z.string().min(1).max(100) });
const errors = {
  400: INVALID_REQUEST,
  404: problem('no such run or phase'),
};

/**
 * The spec's internal endpoints. They call the same library the orchestrator uses, with one rule
 * the orchestrator also keeps: numbers posted by a caller are not tool reports, so a metric the phase
 * marks as measured is refused on the gate route (its rubric fails) — nobody passes a gate by
 * posting figures.
 */
export function registerInternalRoutes(routes: RouteTable, rt: Runtime, driver: RunDriver | undefined): void {
  const phaseOf = async (runId: string, phase: string) => {
    const run = await getRun(rt.db, runId);
    if (!run) throw notFound(`run ${runId}`);
    const plan = (run.plan as RunPlan).phases.find((p) => p.phase === phase);
    const row = (await getPhases(rt.db, runId)).find((p) => p.phase === phase);
    if (!plan || !row)
      throw invalidInput(`run ${runId} has no phase "${phase}"`, {
        issues: [{ field: 'phase', reason: `not a phase of run ${runId}` }],
      });
    return { run, plan, row };
  };

  const evaluate = async (c: Context<ApiEnv>, phase: string, body: z.output<typeof GateEvaluateSchema>) => {
    const { plan } = await phaseOf(body.runId, phase);
    const origins: Record<string, MetricOrigin> = Object.fromEntries(
      Object.keys(body.metrics).map((m) => [m, { source: 'agent', by: 'api', detail: 'posted to the API' }]),
    );
    const result = evaluateGate({
      phase,
      attempt: 1,
      rubrics: plan.rubrics,
      metrics: body.metrics,
      waiversAllowed: plan.waiversAllowed,
      waivers: await activeWaivers(rt.db, body.runId, phase),
      now: new Date(),
      evidence: { measured: plan.measuredMetrics, origins },
    });
    return c.json(result);
  };
  const gateSpec = (path: string) => ({
    method: 'post' as const,
    path,
    summary: "Dry-run a phase's gate on posted metrics (stores nothing; measured metrics are refused)",
    tag: TAG,
    scopes: ['tasks:write'] as const,
    params: PhaseParams,
    body: GateEvaluateSchema,
    responses: { 200: { description: 'pass or fail with reasons', schema: GateResultSchema }, ...errors },
  });
  routes.add(gateSpec('/api/gates/:phase/evaluate'), (c, { params, body }) =>
    evaluate(c, params.phase, body),
  );
  routes.add(gateSpec('/api/phase/:phase/gate/evaluate'), (c, { params, body }) =>
    evaluate(c, params.phase, body),
  );

  routes.add(
    {
      method: 'post',
      path: '/api/refinery/ingest',
      summary: 'Add a validated question/answer to the knowledge map (fission, then fusion)',
      tag: TAG,
      scopes: ['tasks:write'],
      body: RefineryIngestSchema,
      responses: { 200: { description: 'the knowledge-map delta', schema: KmapDeltaSchema }, ...errors },
    },
    async (c, { body }) => {
      await phaseOf(body.runId, body.phase);
      const drafts = fission(
        [
          {
            question: body.question,
            answer: { ...body.answer, assumption: noAssumption },
            validation: body.validation,
            model: 'api',
          },
        ],
        body.runId,
        body.phase,
      );
      const statements = body.answer.statements.length;
      const coverage = statements === 0 ? 0 : Math.round((drafts.length / statements) * 1000) / 1000;
      const result = await rt.db.transaction((tx) =>
        refine(tx, rt.db.channel(EVENTS_CHANNEL), { runId: body.runId, phase: body.phase, drafts, coverage }),
      );
      return c.json({
        deltaId: result.deltaId,
        frameIds: result.frameIds,
        merged: result.merged,
        conflicts: result.conflicts,
        consensus: result.consensus,
      });
    },
  );

  routes.add(
    {
      method: 'post',
      path: '/api/phase/:phase/start',
      summary: 'Ask this server to drive the run; the phase starts once the phases it depends on pass',
      tag: TAG,
      scopes: ['runs:write'],
      params: PhaseParams,
      body: PhaseRunSchema,
      responses: {
        202: { description: 'the phase as stored now', schema: PhaseSchema },
        ...errors,
        409: problem('the phase has already ended'),
        501: problem('this server does not drive runs'),
      },
    },
    async (c, { params, body }) => {
      const { row } = await phaseOf(body.runId, params.phase);
      if (['passed', 'failed', 'cancelled', 'skipped'].includes(row.status))
        throw new IdeaMineError(
          ErrorCode.conflict,
          `phase ${params.phase} has already ${row.status}; POST /api/runs/${body.runId}/retry with {"phase":"${params.phase}"} starts it over`,
        );
      if (!driver)
        throw new IdeaMineError(ErrorCode.notImplemented, 'this server does not drive runs (--no-drive)');
      driver.drive(body.runId);
      return c.json(phaseView(row), 202);
    },
  );

  routes.add(
    {
      method: 'post',
      path: '/api/phase/:phase/tasks',
      summary: 'Submit a task on behalf of one phase of a run',
      tag: TAG,
      scopes: ['tasks:write'],
      params: PhaseParams,
      body: PhaseTaskSchema,
      responses: {
        201: { description: 'queued', schema: TaskSchema },
        200: { description: 'the task already stored under this idempotency key', schema: TaskSchema },
        ...errors,
      },
    },
    async (c, { params, body }) => {
      const { row } = await phaseOf(body.runId, params.phase);
      const { runId, ...task } = body;
      return submitTask(c, rt, task, { runId, phaseRowId: row.id });
    },
  );

  routes.add(
    {
      method: 'post',
      path: '/api/phase/:phase/heartbeat',
      summary: "Report progress of a phase's task attempt (same as /api/heartbeat)",
      tag: TAG,
      scopes: ['tasks:write'],
      params: PhaseParams,
      body: HeartbeatSchema,
      responses: HEARTBEAT_RESPONSES,
    },
    async (c, { body }) => c.json(await heartbeat(rt, body)),
  );
}

const noAssumption = { statement: '', rationale: '', mitigation: '' };
