import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { z } from 'zod';
import {
  ArtifactListSchema,
  ErrorResponseSchema,
  PhaseListSchema,
  RunListSchema,
  RunSchema,
  TaskSchema,
  TokenSchema,
} from '../../src/api/schemas.ts';
import type { Scope } from '../../src/api/tokens.ts';
import type { RunPlan } from '../../src/core/schemas/run-plan.ts';
import { writeDossier } from '../../src/observability/release-dossier.ts';
import { runDir } from '../../src/runtime.ts';
import { readEvents } from '../../src/storage/event-store.ts';
import { getRun } from '../../src/storage/run-store.ts';
import { API_BACKENDS, type ApiFixture, openApiFixture } from '../support/api-fixture.ts';

type Operation = { 'x-scopes'?: Scope[]; security?: unknown[] };
type OpenApi = { paths: Record<string, Record<string, Operation>> };

const IDEA = { description: 'A shared todo app for small teams. Lists, due dates and reminders.' };
const SINGLE_SCOPES: Scope[] = ['runs:read', 'runs:write', 'tasks:write', 'admin'];

/** An OpenAPI path with its parameters filled in (a random id that exists nowhere). */
function concrete(path: string): string {
  return path.replace('{phase}', 'prd').replace(/\{[A-Za-z]+\}/g, () => randomUUID());
}

async function planOf(fx: ApiFixture, runId: string): Promise<RunPlan> {
  const run = await getRun(fx.rt.db, runId);
  if (!run) throw new Error(`no run ${runId}`);
  return run.plan as RunPlan;
}

async function json<T extends z.ZodType>(res: Response, schema: T): Promise<z.output<T>> {
  return schema.parse(await res.json());
}

/** Calls a route and returns only its status (an event stream is closed at once). */
async function statusOf(fx: ApiFixture, method: string, path: string, token?: string): Promise<number> {
  const controller = new AbortController();
  const res = await fx.api.call(path, {
    method: method.toUpperCase(),
    token,
    signal: controller.signal,
    ...(method === 'post' ? { json: {} } : {}),
  });
  const status = res.status;
  controller.abort();
  await res.body?.cancel().catch(() => {});
  return status;
}

describe.each(API_BACKENDS)('HTTP API contract on $name', ({ name, available }) => {
  let fx: ApiFixture;
  let doc: OpenApi;

  beforeAll(async () => {
    if (!available) return;
    fx = await openApiFixture(name);
    doc = (await (await fx.api.call('/openapi.json')).json()) as OpenApi;
  });
  afterAll(async () => {
    await fx?.close();
  });

  test.runIf(available)('health, readiness and the OpenAPI document need no token', async () => {
    expect(await (await fx.api.call('/healthz')).json()).toEqual({ ok: true });
    expect(await (await fx.api.call('/readyz')).json()).toEqual({ ok: true, database: name });
    expect((await fx.api.call('/openapi.json')).status).toBe(200);
  });

  test.runIf(available)(
    'every protected route answers 401 without a token, or with an unknown one',
    async () => {
      const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.entries(ops)
          .filter(([, op]) => op['x-scopes'])
          .map(([method]) => ({ method, path })),
      );
      expect(operations.length).toBeGreaterThanOrEqual(25);
      for (const { method, path } of operations) {
        const url = concrete(path);
        expect([method, path, await statusOf(fx, method, url)]).toEqual([method, path, 401]);
        const forged = `im_${'A'.repeat(43)}`;
        expect([method, path, await statusOf(fx, method, url, forged)]).toEqual([method, path, 401]);
      }
      const res = await fx.api.call('/api/runs');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(ErrorResponseSchema.parse(await res.json()).error.code).toBe('UNAUTHORIZED');
    },
  );

  test.runIf(available)(
    'each scope reaches exactly the routes that list it (admin reaches all)',
    async () => {
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          const allowed = op['x-scopes'];
          if (!allowed) continue;
          for (const scope of SINGLE_SCOPES) {
            const status = await statusOf(fx, method, concrete(path), fx.tokens[scope]);
            const admitted = scope === 'admin' || allowed.includes(scope);
            if (admitted) expect([method, path, scope, status]).not.toContain(403);
            else expect([method, path, scope, status]).toEqual([method, path, scope, 403]);
            expect(status).not.toBe(401);
            expect(status).toBeLessThan(500);
          }
        }
      }
    },
  );

  test.runIf(available)(
    'done: GET /api/runs without a token is 401; a runs:read token POSTing gets 403',
    async () => {
      expect((await fx.api.call('/api/runs')).status).toBe(401);
      const read = fx.tokens['runs:read'];
      expect((await fx.api.call('/api/runs', { token: read })).status).toBe(200);
      const post = await fx.api.call('/api/runs', { method: 'POST', token: read, json: IDEA });
      expect(post.status).toBe(403);
      expect(ErrorResponseSchema.parse(await post.json()).error.message).toContain('runs:write');
    },
  );

  test.runIf(available)('a run created over HTTP is stored, planned and listed', async () => {
    const rw = fx.tokens.readWrite;
    const created = await fx.api.call('/api/runs', { method: 'POST', token: rw, json: IDEA });
    expect(created.status).toBe(201);
    const run = await json(created, RunSchema);
    expect(created.headers.get('location')).toBe(`/api/runs/${run.id}`);
    expect(run).toMatchObject({
      status: 'pending',
      title: 'A shared todo app for small teams',
      signal: null,
    });
    expect(await json(await fx.api.call(`/api/runs/${run.id}`, { token: rw }), RunSchema)).toEqual(run);
    const list = await json(await fx.api.call('/api/runs?limit=5', { token: rw }), RunListSchema);
    expect(list.runs.map((r) => r.id)).toContain(run.id);
    const { phases } = await json(
      await fx.api.call(`/api/runs/${run.id}/phases`, { token: rw }),
      PhaseListSchema,
    );
    expect(phases.map((p) => p.phase)).toEqual((await planOf(fx, run.id)).phases.map((p) => p.phase));
    const types = (await readEvents(fx.rt.db, { runId: run.id })).map((e) => e.type);
    expect(types).toEqual(['run.created']);
  });

  test.runIf(available)(
    'invalid input is a 400 naming the field and the reason, and stores nothing',
    async () => {
      const rw = fx.tokens.readWrite;
      const before = (await fx.rt.db.query<{ n: number }>('select count(*)::int as n from runs'))[0]?.n;
      const cases: Array<{ body: unknown; raw?: string; field: string; reason: RegExp }> = [
        { body: { description: 42 }, field: 'description', reason: /expected string/ },
        { body: { description: 'ok idea', colour: 'red' }, field: '(body)', reason: /Unrecognized key/ },
        { body: { description: 'x' }, field: 'description', reason: />=3 characters/ },
        {
          body: { description: 'a fine idea', constraints: ['ok', 7] },
          field: 'constraints.1',
          reason: /string/,
        },
        { body: null, raw: '{"description": ', field: '(body)', reason: /JSON/ },
      ];
      for (const c of cases) {
        const res = await fx.api.call('/api/runs', {
          method: 'POST',
          token: rw,
          headers: { 'content-type': 'application/json' },
          body: c.raw ?? JSON.stringify(c.body),
        });
        expect(res.status).toBe(400);
        const { error } = ErrorResponseSchema.parse(await res.json());
        const issue = error.issues?.find((i) => i.field === c.field);
        expect(issue, JSON.stringify(error)).toBeDefined();
        expect(issue?.reason).toMatch(c.reason);
      }
      const badId = await fx.api.call('/api/runs/not-a-uuid', { token: rw });
      expect(badId.status).toBe(400);
      expect(ErrorResponseSchema.parse(await badId.json()).error.issues?.[0]?.field).toBe('id');
      const badQuery = await fx.api.call('/api/runs?limit=0', { token: rw });
      expect(ErrorResponseSchema.parse(await badQuery.json()).error.issues?.[0]?.field).toBe('limit');
      const after = (await fx.rt.db.query<{ n: number }>('select count(*)::int as n from runs'))[0]?.n;
      expect(after).toBe(before);
    },
  );

  test.runIf(available)(
    'unknown runs are 404; signals are stored; resume without a driver is 501',
    async () => {
      const rw = fx.tokens.readWrite;
      expect((await fx.api.call(`/api/runs/${randomUUID()}`, { token: rw })).status).toBe(404);
      const run = await json(
        await fx.api.call('/api/runs', { method: 'POST', token: rw, json: IDEA }),
        RunSchema,
      );
      const paused = await fx.api.call(`/api/runs/${run.id}/pause`, { method: 'POST', token: rw });
      expect(paused.status).toBe(202);
      expect((await json(paused, RunSchema)).signal).toBe('pause');
      const resume = await fx.api.call(`/api/runs/${run.id}/resume`, { method: 'POST', token: rw });
      expect(resume.status).toBe(501);
      const retry = await fx.api.call(`/api/runs/${run.id}/retry`, { method: 'POST', token: rw, json: {} });
      expect(retry.status).toBe(409);
      const unknownPhase = await fx.api.call(`/api/runs/${run.id}/retry`, {
        method: 'POST',
        token: rw,
        json: { phase: 'nope' },
      });
      expect(unknownPhase.status).toBe(400);
      const cancelled = await fx.api.call(`/api/runs/${run.id}/cancel`, { method: 'POST', token: rw });
      expect((await json(cancelled, RunSchema)).signal).toBe('cancel');
    },
  );

  test.runIf(available)('artifacts download, ledger verification and the dossier', async () => {
    const rw = fx.tokens.readWrite;
    const run = await json(
      await fx.api.call('/api/runs', { method: 'POST', token: rw, json: IDEA }),
      RunSchema,
    );
    const { artifacts } = await json(
      await fx.api.call(`/api/runs/${run.id}/artifacts`, { token: rw }),
      ArtifactListSchema,
    );
    const idea = artifacts.find((a) => a.type === 'Idea');
    expect(idea).toBeDefined();
    const download = await fx.api.call(`/api/runs/${run.id}/artifacts/${idea?.id}`, { token: rw });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="input-idea.json"');
    expect(download.headers.get('x-content-sha256')).toBe(idea?.hash);
    expect(await download.json()).toEqual(run.idea);
    const otherRun = `/api/runs/${randomUUID()}/artifacts/${idea?.id}`;
    expect((await fx.api.call(otherRun, { token: rw })).status).toBe(404);

    const verify = await fx.api.call(`/api/runs/${run.id}/ledger/verify`, { token: rw });
    expect(await verify.json()).toMatchObject({ ok: true });
    expect((await fx.api.call(`/api/runs/${run.id}/kmap?q=todo`, { token: rw })).status).toBe(200);
    expect(await (await fx.api.call(`/api/runs/${run.id}/assumptions`, { token: rw })).json()).toEqual({
      assumptions: [],
    });

    expect((await fx.api.call(`/api/runs/${run.id}/dossier`, { token: rw })).status).toBe(404);
    await writeDossier(fx.rt.db, run.id, runDir(fx.rt.options, run.id));
    const dossier = await fx.api.call(`/api/runs/${run.id}/dossier`, { token: rw });
    expect(dossier.status).toBe(200);
    expect(((await dossier.json()) as { run: { id: string } }).run.id).toBe(run.id);
    const html = await fx.api.call(`/api/runs/${run.id}/dossier.html`, { token: rw });
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(await html.text()).toContain('A shared todo app for small teams');
  });

  test.runIf(available)('tasks: submit (idempotent), get, cancel, heartbeat fencing', async () => {
    const tw = fx.tokens['tasks:write'];
    const submit = (body: unknown) => fx.api.call('/api/tasks', { method: 'POST', token: tw, json: body });
    const key = `k-${randomUUID()}`;
    const first = await submit({
      type: 'diag.sleep',
      input: { ms: 10 },
      idempotencyKey: key,
      delayMs: 60_000,
    });
    expect(first.status).toBe(201);
    const task = await json(first, TaskSchema);
    expect(task).toMatchObject({ type: 'diag.sleep', state: 'ready', attempt: 0 });
    const again = await submit({
      type: 'diag.sleep',
      input: { ms: 10 },
      idempotencyKey: key,
      delayMs: 60_000,
    });
    expect(again.status).toBe(200);
    expect((await json(again, TaskSchema)).id).toBe(task.id);

    const unknown = await submit({ type: 'no.such.type' });
    expect(unknown.status).toBe(400);
    expect(ErrorResponseSchema.parse(await unknown.json()).error.message).toContain('unknown task type');

    const got = await fx.api.call(`/api/tasks/${task.id}`, { token: fx.tokens['runs:read'] });
    expect((await json(got, TaskSchema)).id).toBe(task.id);

    const beat = await fx.api.call('/api/heartbeat', {
      method: 'POST',
      token: tw,
      json: { taskId: task.id, attempt: 1, pct: 50 },
    });
    expect(beat.status).toBe(409);
    expect(ErrorResponseSchema.parse(await beat.json()).error.code).toBe('STALE_ATTEMPT');

    const cancel = await fx.api.call(`/api/tasks/${task.id}/cancel`, { method: 'POST', token: tw });
    expect(cancel.status).toBe(202);
    expect((await json(cancel, TaskSchema)).state).toBe('cancelled');
    expect((await fx.api.call(`/api/tasks/${task.id}/cancel`, { method: 'POST', token: tw })).status).toBe(
      409,
    );
    expect((await fx.api.call(`/api/tasks/${randomUUID()}`, { token: tw })).status).toBe(404);
  });

  test.runIf(available)(
    'gate dry run refuses posted figures for measured metrics; refinery ingest adds frames',
    async () => {
      const rw = fx.tokens.readWrite;
      const tw = fx.tokens['tasks:write'];
      const run = await json(
        await fx.api.call('/api/runs', { method: 'POST', token: rw, json: IDEA }),
        RunSchema,
      );
      const plan = (await planOf(fx, run.id)).phases.find((p) => p.phase === 'qa');
      expect(plan).toBeDefined();
      const metrics = Object.fromEntries(
        Object.keys(plan?.rubrics ?? {}).map((r) => [r.replace(/_(min|max)$/, ''), 1]),
      );
      const gate = await fx.api.call('/api/gates/qa/evaluate', {
        method: 'POST',
        token: tw,
        json: { runId: run.id, metrics },
      });
      expect(gate.status).toBe(200);
      const result = (await gate.json()) as { pass: boolean; reasons: string[] };
      expect(result.pass).toBe(false);
      expect(result.reasons.length).toBeGreaterThan(0);
      const noPhase = await fx.api.call('/api/gates/nope/evaluate', {
        method: 'POST',
        token: tw,
        json: { runId: run.id, metrics },
      });
      expect(ErrorResponseSchema.parse(await noPhase.json()).error.issues?.[0]?.field).toBe('phase');

      const ingest = await fx.api.call('/api/refinery/ingest', {
        method: 'POST',
        token: tw,
        json: {
          runId: run.id,
          phase: 'prd',
          question: { id: 'q1', text: 'Who uses it?' },
          answer: {
            status: 'answered',
            answer: 'Small teams',
            statements: [
              { subject: 'todo app', predicate: 'is used by', object: 'small teams', citations: [] },
            ],
          },
          validation: {
            verdict: 'ACCEPT',
            scores: { grounding: 1, completeness: 1, specificity: 1, consistency: 1 },
            groundedStatements: [0],
          },
        },
      });
      expect(ingest.status).toBe(200);
      const delta = (await ingest.json()) as { frameIds: string[] };
      expect(delta.frameIds).toHaveLength(1);
      const { frames } = (await (
        await fx.api.call(`/api/runs/${run.id}/kmap?q=teams`, { token: rw })
      ).json()) as {
        frames: Array<{ id: string }>;
      };
      expect(frames.map((f) => f.id)).toEqual(delta.frameIds);
    },
  );

  test.runIf(available)(
    'tokens: an admin creates, lists and revokes; a revoked token is 401 at once',
    async () => {
      const admin = fx.tokens.admin;
      const created = await fx.api.call('/api/tokens', {
        method: 'POST',
        token: admin,
        json: { scopes: ['runs:read'], name: 'ci' },
      });
      expect(created.status).toBe(201);
      const { token: secret, ...made } = (await created.json()) as { token: string; id: string };
      expect(secret).toMatch(/^im_[A-Za-z0-9_-]{43}$/);
      expect((await fx.api.call('/api/runs', { token: secret })).status).toBe(200);
      const listed = (await (await fx.api.call('/api/tokens', { token: admin })).json()) as {
        tokens: unknown[];
      };
      for (const t of listed.tokens) TokenSchema.strict().parse(t);
      expect(JSON.stringify(listed)).not.toContain(secret);
      const revoked = await fx.api.call(`/api/tokens/${made.id}/revoke`, { method: 'POST', token: admin });
      expect((await json(revoked, TokenSchema)).revokedAt).not.toBeNull();
      expect((await fx.api.call('/api/runs', { token: secret })).status).toBe(401);
      expect(
        (await fx.api.call(`/api/tokens/${made.id}/revoke`, { method: 'POST', token: admin })).status,
      ).toBe(404);
    },
  );

  test.runIf(available)('metrics are admin-only Prometheus text', async () => {
    expect((await fx.api.call('/metrics')).status).toBe(401);
    expect((await fx.api.call('/metrics', { token: fx.tokens['runs:read'] })).status).toBe(403);
    const res = await fx.api.call('/metrics', { token: fx.tokens.admin });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('ideamine_storage_up');
  });

  test.runIf(available)('no token secret appears in any log line', async () => {
    const all = fx.logs.join('');
    for (const secret of Object.values(fx.tokens)) expect(all).not.toContain(secret);
  });
});
