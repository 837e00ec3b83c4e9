import { z } from 'zod';
import type { Queryable } from '../../storage/database.ts';
import { IdParams, notFound, type RouteTable } from '../route-table.ts';
import { loadRunOverview } from '../run-overview.ts';
import { ErrorResponseSchema } from '../schemas.ts';

const isoDate = z.iso.datetime({ offset: true });
const amounts = z.record(z.string(), z.number());
const threshold = z.union([z.number(), z.boolean(), z.tuple([z.number(), z.number()])]);
const count = z.number().int().nullable();

/** The response of `GET /api/runs/:id/overview` (the shape `loadRunOverview` builds). */
export const RunOverviewSchema = z
  .object({
    run: z.object({
      id: z.uuid(),
      title: z.string(),
      status: z.string(),
      createdAt: isoDate,
      startedAt: isoDate.nullable(),
      completedAt: isoDate.nullable(),
      error: z.string().nullable(),
    }),
    lastSeq: z.number().int().describe('The newest event included: follow /api/events after it.'),
    phases: z
      .array(
        z.object({
          phase: z.string(),
          status: z.string(),
          stage: z.string().nullable(),
          generation: z.number().int(),
          gateAttempts: z.number().int(),
          maxGateAttempts: z.number().int().nullable(),
          startedAt: isoDate.nullable(),
          completedAt: isoDate.nullable(),
          gates: z.array(
            z.object({ attempt: z.number().int(), pass: z.boolean(), score: z.number(), at: isoDate }),
          ),
        }),
      )
      .describe('Pipeline order (the plan’s DAG levels).'),
    heatmap: z.object({
      start: isoDate.nullable(),
      bucketMs: z.number().int(),
      columns: z.number().int(),
      rows: z.array(z.object({ phase: z.string(), counts: z.array(z.number().int()) })),
    }),
    readiness: z.array(
      z.object({
        phase: z.string(),
        attempt: z.number().int().nullable(),
        verdict: z.enum(['passed', 'failed']).nullable(),
        rubrics: z.array(
          z.object({
            rubric: z.string(),
            metric: z.string(),
            threshold,
            actual: z.union([z.number(), z.boolean()]).nullable(),
            pass: z.boolean().nullable(),
          }),
        ),
      }),
    ),
    spend: z.object({
      run: z.object({ budgets: amounts, usage: amounts }),
      phases: z.array(z.object({ phase: z.string(), budgets: amounts, usage: amounts })),
      burn: z
        .array(z.tuple([z.number(), z.number(), z.number()]))
        .describe('[unix seconds, cumulative tokens, cumulative USD] after each finished agent task'),
    }),
    problems: z.array(
      z.object({
        seq: z.number().int(),
        type: z.string(),
        phase: z.string().nullable(),
        taskId: z.string().nullable(),
        at: isoDate,
        summary: z.string(),
      }),
    ),
    qav: z.object({
      phases: z.array(
        z.object({
          phase: z.string(),
          questions: count,
          accepted: count,
          rejected: count,
          unknown: count,
          fissionCoverage: z.number().nullable(),
          fusionConsensus: z.number().nullable(),
        }),
      ),
      assumptions: amounts,
      frames: amounts,
      conflicts: z.number().int(),
    }),
    reports: z.array(z.object({ id: z.uuid(), phase: z.string(), type: z.string(), name: z.string() })),
    hasDossier: z.boolean(),
  })
  .meta({ id: 'RunOverview' });

/**
 * `GET /api/runs/:id/overview`: what the dashboard shows of one run, in one read (see run-overview.ts).
 * Mounted by `createApiApp` next to the other run routes.
 */
export function registerDashboardRoutes(routes: RouteTable, db: Queryable): void {
  routes.add(
    {
      method: 'get',
      path: '/api/runs/:id/overview',
      summary:
        'Dashboard overview of a run: phase Gantt, task heatmap, gate readiness, spend, problems, Q/A/V',
      tag: 'runs',
      scopes: ['runs:read'],
      params: IdParams,
      responses: {
        200: { description: 'the overview', schema: RunOverviewSchema },
        400: { description: 'invalid run id', schema: ErrorResponseSchema },
        404: { description: 'no such run', schema: ErrorResponseSchema },
      },
    },
    async (c, { params }) => {
      const overview = await loadRunOverview(db, params.id);
      if (!overview) throw notFound(`run ${params.id}`);
      return c.json(overview);
    },
  );
}
