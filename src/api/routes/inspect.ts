import { z } from 'zod';
import { verifyLedger } from '../../observability/ledger.ts';
import { renderDossierHtml } from '../../observability/release-dossier.ts';
import { listAssumptions, searchFrames } from '../../orchestrator/qav/knowledge-map.ts';
import type { Runtime } from '../../runtime.ts';
import { getDossier, getRun, listArtifacts } from '../../storage/run-store.ts';
import { IdParams, INVALID_REQUEST, notFound, problem, type RouteTable } from '../route-table.ts';
import {
  ArtifactListQuerySchema,
  ArtifactListSchema,
  AssumptionListSchema,
  DossierSchema,
  FrameListSchema,
  KmapQuerySchema,
  LedgerVerificationSchema,
} from '../schemas.ts';

const TAG = 'inspect';
const errors = {
  400: INVALID_REQUEST,
  404: problem('no such run (or artifact, or dossier yet)'),
};
const ArtifactParams = z.strictObject({ id: z.guid(), artifactId: z.guid() });

/** Read-only views of a run: artifacts, knowledge map, assumptions, ledger verification, dossier. */
export function registerInspectRoutes(routes: RouteTable, rt: Runtime): void {
  const requireRun = async (id: string) => {
    if (!(await getRun(rt.db, id))) throw notFound(`run ${id}`);
  };

  routes.add(
    {
      method: 'get',
      path: '/api/runs/:id/artifacts',
      summary: "A run's artifacts with provenance (content via the download route)",
      tag: TAG,
      scopes: ['runs:read'],
      params: IdParams,
      query: ArtifactListQuerySchema,
      responses: { 200: { description: 'artifacts', schema: ArtifactListSchema }, ...errors },
    },
    async (c, { params, query }) => {
      await requireRun(params.id);
      const list = await listArtifacts(rt.db, params.id, query.phase ? { phase: query.phase } : {});
      return c.json({
        artifacts: list.map(({ content: _, runId: __, ...a }) => ({
          ...a,
          createdAt: a.createdAt.toISOString(),
        })),
      });
    },
  );

  routes.add(
    {
      method: 'get',
      path: '/api/runs/:id/artifacts/:artifactId',
      summary: "Download one artifact's content as a JSON file",
      tag: TAG,
      scopes: ['runs:read'],
      params: ArtifactParams,
      responses: { 200: { description: 'the content', contentType: 'application/json' }, ...errors },
    },
    async (c, { params }) => {
      const [artifact] = await listArtifacts(rt.db, params.id, { ids: [params.artifactId] });
      if (!artifact) throw notFound(`artifact ${params.artifactId} in run ${params.id}`);
      const file = `${artifact.phase}-${artifact.name}`.replace(/[^A-Za-z0-9._-]+/g, '_');
      c.header('Content-Disposition', `attachment; filename="${file}.json"`);
      c.header('X-Content-SHA256', artifact.hash);
      return c.json(artifact.content as object);
    },
  );

  routes.add(
    {
      method: 'get',
      path: '/api/runs/:id/kmap',
      summary: "Search a run's knowledge map (full text with q; every frame without)",
      tag: TAG,
      scopes: ['runs:read'],
      params: IdParams,
      query: KmapQuerySchema,
      responses: { 200: { description: 'frames, best match first', schema: FrameListSchema }, ...errors },
    },
    async (c, { params, query }) => {
      await requireRun(params.id);
      const frames = await searchFrames(
        rt.db,
        params.id,
        query.q,
        query.limit,
        query.phase ? { phase: query.phase } : {},
      );
      return c.json({ frames });
    },
  );

  routes.add(
    {
      method: 'get',
      path: '/api/runs/:id/assumptions',
      summary: 'The assumptions a run made, with their mitigations',
      tag: TAG,
      scopes: ['runs:read'],
      params: IdParams,
      responses: { 200: { description: 'assumptions', schema: AssumptionListSchema }, ...errors },
    },
    async (c, { params }) => {
      await requireRun(params.id);
      return c.json({ assumptions: await listAssumptions(rt.db, params.id) });
    },
  );

  routes.add(
    {
      method: 'get',
      path: '/api/runs/:id/ledger/verify',
      summary: "Check the hash chain of a run's ledger",
      tag: TAG,
      scopes: ['runs:read'],
      params: IdParams,
      responses: { 200: { description: 'the verdict', schema: LedgerVerificationSchema }, ...errors },
    },
    async (c, { params }) => {
      await requireRun(params.id);
      return c.json(await verifyLedger(rt.db, params.id));
    },
  );

  const requireDossier = async (id: string) => {
    await requireRun(id);
    const dossier = await getDossier(rt.db, id);
    if (!dossier) throw notFound(`dossier for run ${id} yet: it is written when the run ends`);
    return dossier.content as Record<string, unknown>;
  };
  routes.add(
    {
      method: 'get',
      path: '/api/runs/:id/dossier',
      summary: 'The release dossier as JSON',
      tag: TAG,
      scopes: ['runs:read'],
      params: IdParams,
      responses: { 200: { description: 'the dossier', schema: DossierSchema }, ...errors },
    },
    async (c, { params }) => c.json(await requireDossier(params.id)),
  );
  routes.add(
    {
      method: 'get',
      path: '/api/runs/:id/dossier.html',
      summary: 'The release dossier as one self-contained HTML page',
      tag: TAG,
      scopes: ['runs:read'],
      params: IdParams,
      responses: { 200: { description: 'the dossier page', contentType: 'text/html' }, ...errors },
    },
    async (c, { params }) => c.html(renderDossierHtml(await requireDossier(params.id))),
  );
}
