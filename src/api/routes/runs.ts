import type { Idea } from '../../core/agent.ts';
import { ErrorCode, IdeaMineError } from '../../core/errors.ts';
import { titleFromDescription } from '../../core/idea.ts';
import type { RunPlan } from '../../core/schemas/run-plan.ts';
import type { Runtime } from '../../runtime.ts';
import { getPhases, getRun, listRuns } from '../../storage/run-store.ts';
import { IdParams, INVALID_REQUEST, notFound, problem, type RouteTable } from '../route-table.ts';
import type { RunDriver } from '../run-driver.ts';
import {
  CreateRunSchema,
  PhaseListSchema,
  RetryResultSchema,
  RetryRunSchema,
  RunListQuerySchema,
  RunListSchema,
  RunSchema,
} from '../schemas.ts';
import { phaseView, runView } from '../views.ts';

const TAG = 'runs';
const errors = {
  400: INVALID_REQUEST,
  404: problem('no such run'),
};

/** Runs: create from an idea, list, get, phases, and the operator signals. */
export function registerRunRoutes(routes: RouteTable, rt: Runtime, driver: RunDriver | undefined): void {
  const requireRun = async (id: string) => {
    const run = await getRun(rt.db, id);
    if (!run) throw notFound(`run ${id}`);
    return run;
  };

  routes.add(
    {
      method: 'get',
      path: '/api/runs',
      summary: 'List runs, newest first',
      tag: TAG,
      scopes: ['runs:read'],
      query: RunListQuerySchema,
      responses: { 200: { description: 'runs', schema: RunListSchema }, 400: errors[400] },
    },
    async (c, { query }) => c.json({ runs: (await listRuns(rt.db, query.limit)).map(runView) }),
  );

  routes.add(
    {
      method: 'post',
      path: '/api/runs',
      summary: 'Create a run from an idea; this server drives it when it runs a driver',
      tag: TAG,
      scopes: ['runs:write'],
      body: CreateRunSchema,
      responses: { 201: { description: 'the planned run', schema: RunSchema }, 400: errors[400] },
    },
    async (c, { body }) => {
      const description = body.description.replace(/\s+/g, ' ');
      const idea: Idea = {
        title: body.title ?? titleFromDescription(description),
        description,
        ...(body.audience ? { audience: body.audience } : {}),
        ...(body.constraints ? { constraints: body.constraints } : {}),
      };
      const { runId } = await rt.orchestrator.createRun(idea, await rt.loadPhaseConfigs());
      driver?.drive(runId);
      c.header('Location', `/api/runs/${runId}`);
      return c.json(runView(await requireRun(runId)), 201);
    },
  );

  routes.add(
    {
      method: 'get',
      path: '/api/runs/:id',
      summary: 'One run',
      tag: TAG,
      scopes: ['runs:read'],
      params: IdParams,
      responses: { 200: { description: 'the run', schema: RunSchema }, ...errors },
    },
    async (c, { params }) => c.json(runView(await requireRun(params.id))),
  );

  routes.add(
    {
      method: 'get',
      path: '/api/runs/:id/phases',
      summary: "A run's phases in plan order, with stage, gate attempts and usage",
      tag: TAG,
      scopes: ['runs:read'],
      params: IdParams,
      responses: { 200: { description: 'phases', schema: PhaseListSchema }, ...errors },
    },
    async (c, { params }) => {
      const run = await requireRun(params.id);
      const order = ((run.plan as RunPlan | null)?.phases ?? []).map((p) => p.phase);
      const rank = (phase: string) => (order.includes(phase) ? order.indexOf(phase) : order.length);
      const phases = (await getPhases(rt.db, params.id)).sort((a, b) => rank(a.phase) - rank(b.phase));
      return c.json({ phases: phases.map(phaseView) });
    },
  );

  for (const signal of ['pause', 'cancel'] as const) {
    routes.add(
      {
        method: 'post',
        path: `/api/runs/:id/${signal}`,
        summary:
          signal === 'pause' ? 'Pause a run at its next stage boundary' : 'Cancel a run and its queued tasks',
        tag: TAG,
        scopes: ['runs:write'],
        params: IdParams,
        responses: {
          202: { description: 'signal stored; the driving process honours it', schema: RunSchema },
          ...errors,
          409: problem('the run has already ended'),
        },
      },
      async (c, { params }) => {
        await rt.orchestrator.signal(params.id, signal, 'api');
        return c.json(runView(await requireRun(params.id)), 202);
      },
    );
  }

  routes.add(
    {
      method: 'post',
      path: '/api/runs/:id/resume',
      summary: 'Continue a paused or interrupted run (driven by this server)',
      tag: TAG,
      scopes: ['runs:write'],
      params: IdParams,
      responses: { 202: { description: 'driving resumes', schema: RunSchema }, ...driverErrors() },
    },
    async (c, { params }) => {
      await requireRun(params.id);
      requireDriver(driver).drive(params.id);
      return c.json(runView(await requireRun(params.id)), 202);
    },
  );

  routes.add(
    {
      method: 'post',
      path: '/api/runs/:id/retry',
      summary: 'Start failed phases over (or one phase and those after it), then drive the run again',
      tag: TAG,
      scopes: ['runs:write'],
      params: IdParams,
      body: RetryRunSchema,
      responses: {
        202: { description: 'the phases that start over', schema: RetryResultSchema },
        ...driverErrors(),
        409: problem('nothing to retry'),
      },
    },
    async (c, { params, body }) => {
      await requireRun(params.id);
      const phases = await rt.orchestrator.retry(params.id, body.phase);
      driver?.drive(params.id);
      return c.json({ run: runView(await requireRun(params.id)), phases }, 202);
    },
  );
}

function driverErrors() {
  return {
    ...errors,
    501: problem('this server does not drive runs'),
  };
}

function requireDriver(driver: RunDriver | undefined): RunDriver {
  if (driver) return driver;
  throw new IdeaMineError(
    ErrorCode.notImplemented,
    'this server does not drive runs (started with --no-drive): resume it with `ideamine resume <run>`',
  );
}
