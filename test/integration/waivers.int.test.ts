import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ErrorResponseSchema, WaiverListSchema, WaiverSchema } from '../../src/api/schemas.ts';
import type { RunPlan } from '../../src/core/schemas/run-plan.ts';
import { readLedger } from '../../src/observability/ledger.ts';
import { evaluateGate } from '../../src/orchestrator/gatekeeper.ts';
import { readEvents } from '../../src/storage/event-store.ts';
import { activeWaivers, getRun } from '../../src/storage/run-store.ts';
import { listRunWaivers } from '../../src/storage/waiver-store.ts';
import { API_BACKENDS, type ApiFixture, openApiFixture } from '../support/api-fixture.ts';

const IDEA = { description: 'A shared todo app for small teams. Lists, due dates and reminders.' };

describe.each(API_BACKENDS)('waivers on $name', ({ name, available }) => {
  let fx: ApiFixture;
  let runId: string;

  beforeAll(async () => {
    if (!available) return;
    fx = await openApiFixture(name);
    const res = await fx.api.call('/api/runs', { method: 'POST', token: fx.tokens.admin, json: IDEA });
    expect(res.status).toBe(201);
    runId = ((await res.json()) as { id: string }).id;
  }, 120_000);
  afterAll(async () => fx?.close());

  const waive = (body: unknown, token = fx.tokens['runs:write']) =>
    fx.api.call(`/api/runs/${runId}/waivers`, { method: 'POST', token, json: body });

  test.skipIf(!available)(
    'a waivable rubric is granted: row, decision entry and event commit together',
    async () => {
      const res = await waive({
        phase: 'qa',
        rubric: 'test_coverage_min',
        reason: 'coverage tooling misses the CLI entry point',
        expires: '2d',
        owner: 'release-manager',
      });
      expect(res.status).toBe(201);
      const waiver = WaiverSchema.parse(await res.json());
      expect(waiver).toMatchObject({
        runId,
        phase: 'qa',
        violationType: 'test_coverage_min',
        owner: 'release-manager',
        reason: 'coverage tooling misses the CLI entry point',
        compensatingControl: 'coverage tooling misses the CLI entry point',
        status: 'active',
      });
      const ttl = Date.parse(waiver.expiresAt) - Date.parse(waiver.createdAt);
      expect(ttl).toBeGreaterThan(47 * 3_600_000);
      expect(ttl).toBeLessThan(49 * 3_600_000);

      const decisions = (await readLedger(fx.rt.db, runId)).filter(
        (e) => e.type === 'decision' && e.data['decision'] === 'waiver-granted',
      );
      expect(decisions.map((e) => e.data['waiverId'])).toEqual([waiver.id]);
      const events = (await readEvents(fx.rt.db, { runId })).filter((e) => e.type === 'phase.waiver.granted');
      expect(events.map((e) => e.payload['waiverId'])).toEqual([waiver.id]);

      const list = WaiverListSchema.parse(
        await (await fx.api.call(`/api/runs/${runId}/waivers`, { token: fx.tokens['runs:read'] })).json(),
      );
      expect(list.waivers.map((w) => w.id)).toEqual([waiver.id]);
    },
  );

  test.skipIf(!available)('the gate applies an active waiver and ignores it once expired', async () => {
    const run = await getRun(fx.rt.db, runId);
    const qa = (run?.plan as RunPlan | undefined)?.phases.find((p) => p.phase === 'qa');
    if (!qa) throw new Error('no qa phase');
    const waivers = await activeWaivers(fx.rt.db, runId, 'qa');
    const metrics = { test_pass_rate: 1, test_coverage: 0.5, parse_errors: 0, perf_budget_met: true };
    const gate = (now: Date) =>
      evaluateGate({
        phase: 'qa',
        attempt: 1,
        rubrics: { test_coverage_min: qa.rubrics['test_coverage_min'] as number },
        metrics,
        waiversAllowed: qa.waiversAllowed,
        waivers,
        now,
      });
    const now = gate(new Date());
    expect(now.pass).toBe(true);
    expect(now.waiversApplied).toHaveLength(1);
    expect(now.rubricResults[0]).toMatchObject({ rubric: 'test_coverage_min', pass: false, waived: true });
    const later = gate(new Date(Date.now() + 3 * 24 * 3_600_000));
    expect(later.pass).toBe(false);
  });

  test.skipIf(!available)(
    'a rubric the phase does not list as waivable is refused and nothing is stored',
    async () => {
      const before = await listRunWaivers(fx.rt.db, runId);
      const ledgerBefore = (await readLedger(fx.rt.db, runId)).length;
      for (const [body, reason] of [
        [{ phase: 'qa', rubric: 'test_pass_rate_min', reason: 'x' }, /cannot be waived.*test_coverage_min/],
        [{ phase: 'build', rubric: 'anything_max', reason: 'x' }, /cannot be waived.*lists none/],
        [{ phase: 'nope', rubric: 'test_coverage_min', reason: 'x' }, /has no phase .{0,2}nope/],
        [{ phase: 'qa', rubric: 'test_coverage_min', reason: 'x', expires: '91d' }, /at most 90 days/],
        [{ phase: 'qa', rubric: 'test_coverage_min', reason: '' }, /reason/],
        [{ phase: 'qa', rubric: 'test_coverage_min', reason: 'x', expires: 'soon' }, /expires/],
      ] as const) {
        const res = await waive(body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(JSON.stringify(ErrorResponseSchema.parse(await res.json()))).toMatch(reason);
      }
      expect(await listRunWaivers(fx.rt.db, runId)).toEqual(before);
      expect((await readLedger(fx.rt.db, runId)).length).toBe(ledgerBefore);
    },
  );

  test.skipIf(!available)('an unknown run is 404 and a read-only token is 403', async () => {
    const unknown = await fx.api.call('/api/runs/00000000-0000-4000-8000-000000000000/waivers', {
      method: 'POST',
      token: fx.tokens['runs:write'],
      json: { phase: 'qa', rubric: 'test_coverage_min', reason: 'x' },
    });
    expect(unknown.status).toBe(404);
    const forbidden = await waive(
      { phase: 'qa', rubric: 'test_coverage_min', reason: 'x' },
      fx.tokens['runs:read'],
    );
    expect(forbidden.status).toBe(403);
  });
});
