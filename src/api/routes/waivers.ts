import { parseDurationMs } from '../../core/duration.ts';
import { grantWaiver } from '../../orchestrator/waivers.ts';
import type { Runtime } from '../../runtime.ts';
import { getRun } from '../../storage/run-store.ts';
import { listRunWaivers } from '../../storage/waiver-store.ts';
import { IdParams, INVALID_REQUEST, notFound, problem, type RouteTable } from '../route-table.ts';
import { CreateWaiverSchema, WaiverListSchema, WaiverSchema } from '../schemas.ts';
import { waiverView } from '../views.ts';

const TAG = 'runs';

/** Waivers: grant one (only for a rubric the phase lists as waivable) and list a run's. */
export function registerWaiverRoutes(routes: RouteTable, rt: Runtime): void {
  routes.add(
    {
      method: 'post',
      path: '/api/runs/:id/waivers',
      summary:
        "Waive one rubric of one phase for a while; refused unless the phase's waivers_allowed lists it",
      tag: TAG,
      scopes: ['runs:write'],
      params: IdParams,
      body: CreateWaiverSchema,
      responses: {
        201: { description: 'the waiver, recorded in the ledger', schema: WaiverSchema },
        400: INVALID_REQUEST,
        404: problem('no such run'),
      },
    },
    async (c, { params, body }) => {
      const tokenId = c.get('principal').tokenId;
      const waiver = await grantWaiver(rt.db, {
        runId: params.id,
        phase: body.phase,
        rubric: body.rubric,
        reason: body.reason,
        owner: body.owner ?? (tokenId ? `token:${tokenId}` : 'api'),
        ...(body.expires === undefined ? {} : { ttlMs: parseDurationMs(body.expires) }),
        ...(body.control === undefined ? {} : { control: body.control }),
      });
      return c.json(waiverView(waiver), 201);
    },
  );

  routes.add(
    {
      method: 'get',
      path: '/api/runs/:id/waivers',
      summary: "A run's waivers, active or not, oldest first",
      tag: TAG,
      scopes: ['runs:read'],
      params: IdParams,
      responses: {
        200: { description: 'waivers', schema: WaiverListSchema },
        400: INVALID_REQUEST,
        404: problem('no such run'),
      },
    },
    async (c, { params }) => {
      if (!(await getRun(rt.db, params.id))) throw notFound(`run ${params.id}`);
      return c.json({ waivers: (await listRunWaivers(rt.db, params.id)).map(waiverView) });
    },
  );
}
