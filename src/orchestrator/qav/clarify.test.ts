import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers } from '../../../test/support/services.ts';
import { ErrorClass, ErrorCode, IdeaMineError } from '../../core/errors.ts';
import type { Model, ModelRequest, ModelResponse } from '../../llm/model.ts';
import { createOfflineModel, estimateTokens } from '../../llm/offline-model.ts';
import type { Database } from '../../storage/database.ts';
import { EVENTS_CHANNEL, readEvents } from '../../storage/event-store.ts';
import { ANSWER_AGENT } from './answer-agent.ts';
import { clarify } from './clarify.ts';
import { getFrames, listAssumptions } from './knowledge-map.ts';
import { QUESTION_AGENT } from './question-agent.ts';
import { refine } from './refinery.ts';
import { draftArtifacts, insertDraft, insertRun, THRESHOLDS, tokenBudget } from './test-fixtures.ts';

/**
 * A model scripted in-process: questions come from the agent's own offline synthesizer, answers
 * from `answer`, so a test decides exactly how good or bad the answerer is.
 */
function scriptedModel(answer: (request: ModelRequest<unknown>, round: number) => unknown) {
  const requests: Array<ModelRequest<unknown>> = [];
  const rounds = new Map<string, number>();
  const model: Model = {
    id: 'scripted:bad',
    async generate<O>(request: ModelRequest<O>): Promise<ModelResponse<O>> {
      requests.push(request as ModelRequest<unknown>);
      let raw: unknown;
      if (request.agent.id === QUESTION_AGENT.id) {
        raw = request.offline?.();
      } else {
        const question = /Question \[(q-[0-9a-f]+)\]/.exec(request.prompt)?.[1] ?? '';
        const round = (rounds.get(question) ?? 0) + 1;
        rounds.set(question, round);
        raw = answer(request as ModelRequest<unknown>, round);
      }
      const output = request.schema.parse(raw);
      return {
        output,
        usage: { inputTokens: estimateTokens(request.system + request.prompt), outputTokens: 100 },
        costUsd: 0.001,
        model: 'scripted:bad',
        latencyMs: 0,
      };
    },
  };
  return { model, requests, rounds };
}

const EMPTY_ASSUMPTION = { statement: '', rationale: '', mitigation: '' };

for (const driver of drivers) {
  describe.skipIf(!driver.available)(`clarify on ${driver.name}`, () => {
    let db: Database;

    beforeAll(async () => {
      db = await driver.open();
    });
    afterAll(async () => {
      await db?.close();
    });

    it('accepts grounded answers on a PRD draft with the offline model and emits kmap.delta.created (criterion 5)', async () => {
      const runId = await insertRun(db);
      const artifacts = await insertDraft(db, runId);
      const result = await clarify({
        db,
        model: createOfflineModel(),
        runId,
        phase: 'prd',
        artifacts,
        thresholds: THRESHOLDS,
      });

      expect(result.userPrompts).toBe(0);
      expect(result.questions).toBeGreaterThan(0);
      expect(result.questions).toBeLessThanOrEqual(8);
      expect(result.accepted).toBeGreaterThan(0);
      expect(result.accepted + result.rejected + result.unknown).toBe(result.questions);
      expect(result.grounding).toBe(1);
      expect(result.usage.calls).toBe(1 + result.bindings.reduce((n, b) => n + (b.rounds ?? 0), 0));

      const ids = new Set(artifacts.map((a) => a.id));
      for (const binding of result.bindings.filter((b) => b.verdict === 'ACCEPT')) {
        expect(binding.citations.length).toBeGreaterThan(0);
        for (const citation of binding.citations) expect(ids.has(citation.artifactId)).toBe(true);
      }

      const [delta] = await readEvents(db, { runId, types: ['kmap.delta.created'] });
      const frameIds = delta?.payload['frameIds'] as string[];
      expect(frameIds.length).toBeGreaterThan(0);
      expect(frameIds).toEqual(result.frameIds);
      expect((await getFrames(db, frameIds)).map((f) => f.id).sort()).toEqual([...frameIds].sort());
      expect(delta?.payload['coverage']).toBe(result.coverage);
      const [fusion] = await readEvents(db, { runId, types: ['kmap.fusion.complete'] });
      expect(fusion?.payload['consensus']).toBe(result.consensus);

      // The pricing requirement has no source at all: it becomes an assumption, with its event.
      const assumptions = await listAssumptions(db, runId);
      expect(assumptions.map((a) => a.id).sort()).toEqual([...result.assumptionIds].sort());
      const pricing = assumptions.find((a) => a.statement.includes('5 USD per seat'));
      expect(pricing?.rationale).toBeTruthy();
      expect(pricing?.mitigation).toMatch(/requirements\[4\]\.statement/);
      const created = await readEvents(db, { runId, types: ['assumption.created'] });
      expect(created.map((e) => e.payload['assumptionId'])).toContain(pricing?.id);
    });

    it('does not repeat assumptions when a gate retry meets the same unknowns', async () => {
      const runId = await insertRun(db);
      const artifacts = await insertDraft(db, runId);
      const input = {
        db,
        model: createOfflineModel(),
        runId,
        phase: 'prd',
        artifacts,
        thresholds: THRESHOLDS,
      };
      const first = await clarify(input);
      const second = await clarify(input);
      expect(second.assumptionIds.filter((id) => first.assumptionIds.includes(id)).length).toBeGreaterThan(0);
      expect(await readEvents(db, { runId, types: ['assumption.created'] })).toHaveLength(
        new Set([...first.assumptionIds, ...second.assumptionIds]).size,
      );
      // The second pass finds its earlier frames: equal frames are merged, not duplicated as knowledge.
      expect(second.merged).toBeGreaterThan(0);
      expect(second.coverage).toBeGreaterThanOrEqual(first.coverage);
    });

    it('regenerates rejected answers up to the bound, then records an assumption', async () => {
      const runId = await insertRun(db);
      const artifacts = await insertDraft(db, runId);
      const spec = artifacts.find((a) => a.type === 'IdeaSpec');
      // An earlier phase settled the latency at 5 seconds; the draft's IdeaSpec says 2.
      await db.transaction((tx) =>
        refine(tx, db.channel(EVENTS_CHANNEL), {
          runId,
          phase: 'intake',
          coverage: 1,
          drafts: [
            {
              subject: 'goal G2',
              predicate: 'metric',
              object: 'Updates reach other members within 5 seconds',
              confidence: 1,
              provenance: {
                runId,
                phase: 'intake',
                questionId: 'q-0',
                question: 'q',
                claimIds: [],
                citations: [],
                model: 'x',
              },
            },
          ],
        }),
      );
      const { model, requests, rounds } = scriptedModel((_request, round) => ({
        status: 'answered',
        answer: 'made up',
        statements:
          round === 1
            ? [
                {
                  subject: 'team',
                  predicate: 'size',
                  object: 'Teams of 50 people',
                  citations: [
                    { artifactId: spec?.id, path: '$.constraints[0]', quote: 'at most 50 members' },
                  ],
                },
              ]
            : [
                {
                  subject: 'goal G2',
                  predicate: 'metric',
                  object: 'Updates reach other members within 2 seconds',
                  citations: [
                    {
                      artifactId: spec?.id,
                      path: '$.goals[1].metric',
                      quote: 'Updates reach other members within 2 seconds',
                    },
                  ],
                },
              ],
        assumption: EMPTY_ASSUMPTION,
      }));
      const budget = tokenBudget(1_000_000);
      const result = await clarify({
        db,
        model,
        runId,
        phase: 'prd',
        artifacts,
        thresholds: THRESHOLDS,
        maxQuestions: 3,
        budget,
      });

      expect(result.questions).toBe(3);
      expect(result).toMatchObject({ accepted: 0, rejected: 3, unknown: 0, frameIds: [], userPrompts: 0 });
      expect([...rounds.values()]).toEqual([3, 3, 3]);
      for (const binding of result.bindings) {
        expect(binding.verdict).toBe('REJECT');
        expect(binding.rounds).toBe(3);
        expect(binding.reasons?.join('\n')).toMatch(/contradicts knowledge frame/);
      }
      const answers = requests.filter((r) => r.agent.id === ANSWER_AGENT.id);
      expect(answers).toHaveLength(9);
      expect(answers[0]?.prompt).not.toMatch(/previous answer was rejected/);
      expect(answers[1]?.prompt).toMatch(
        /previous answer was rejected because:\n- statement 1: quote "at most 50 members" does not occur/,
      );
      expect(result.assumptionIds).toHaveLength(3);
      expect((await listAssumptions(db, runId)).every((a) => /rejected/.test(a.rationale ?? ''))).toBe(true);
      expect(await readEvents(db, { runId, types: ['kmap.delta.created'] })).toHaveLength(1); // the seeded one only
      expect(result.usage.calls).toBe(10);
      expect(budget.reserved).toBeGreaterThanOrEqual(result.usage.inputTokens + result.usage.outputTokens);
      expect(result.usage.costUsd).toBe(0.01);
    });

    it('stops cleanly when the budget runs out: no overspend, the rest become assumptions', async () => {
      const runId = await insertRun(db);
      const artifacts = await insertDraft(db, runId);
      const limit = 5_000;
      const budget = tokenBudget(limit);
      const result = await clarify({
        db,
        model: createOfflineModel(),
        runId,
        phase: 'prd',
        artifacts,
        thresholds: THRESHOLDS,
        budget,
      });

      expect(result.budgetExhausted).toBe(true);
      expect(budget.refusals).toBeGreaterThan(0);
      expect(budget.reserved).toBeLessThanOrEqual(limit);
      expect(result.usage.inputTokens + result.usage.outputTokens).toBeLessThanOrEqual(limit);
      expect(result.usage.calls).toBeGreaterThan(1);
      const skipped = result.bindings.filter((b) => b.rounds === 0);
      expect(skipped.length).toBeGreaterThan(0);
      expect(skipped.every((b) => b.verdict === 'UNKNOWN')).toBe(true);
      expect(result.unknown).toBeGreaterThanOrEqual(skipped.length);
      const assumptions = await listAssumptions(db, runId);
      expect(assumptions.filter((a) => /budget ran out/.test(a.rationale ?? ''))).toHaveLength(
        skipped.length,
      );
      expect(result.userPrompts).toBe(0);
    });

    it('goes further on the same budget when unused reservations are released', async () => {
      const limit = 5_000;
      const run = async (releases: boolean) => {
        const runId = await insertRun(db);
        const artifacts = await insertDraft(db, runId);
        const budget = tokenBudget(limit, { releases });
        const result = await clarify({
          db,
          model: createOfflineModel(),
          runId,
          phase: 'prd',
          artifacts,
          thresholds: THRESHOLDS,
          budget,
        });
        expect(budget.peak).toBeLessThanOrEqual(limit);
        expect(result.usage.inputTokens + result.usage.outputTokens).toBeLessThanOrEqual(limit);
        // Net of releases, what stays reserved is exactly what the calls used.
        if (releases) expect(budget.reserved).toBe(result.usage.inputTokens + result.usage.outputTokens);
        return result.usage.calls;
      };
      expect(await run(true)).toBeGreaterThan(await run(false));
    });

    it('asks deterministic questions without any model call when the budget cannot afford one', async () => {
      const runId = await insertRun(db);
      const artifacts = await insertDraft(db, runId);
      const budget = tokenBudget(100);
      const result = await clarify({
        db,
        model: createOfflineModel(),
        runId,
        phase: 'prd',
        artifacts,
        thresholds: THRESHOLDS,
        budget,
      });
      expect(result).toMatchObject({
        questionSource: 'fallback',
        accepted: 0,
        budgetExhausted: true,
        userPrompts: 0,
      });
      expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 });
      expect(budget.reserved).toBe(0);
      expect(result.unknown).toBe(result.questions);
      expect(result.assumptionIds).toHaveLength(result.questions);
    });
  });
}

describe('clarify without a database round trip per test', () => {
  const driver = drivers[0];
  let db: Database;
  beforeAll(async () => {
    db = await (driver as NonNullable<typeof driver>).open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('treats answers that keep failing the schema as rejections and still ends', async () => {
    const runId = await insertRun(db);
    const model: Model = {
      id: 'scripted:broken',
      async generate<O>(request: ModelRequest<O>): Promise<ModelResponse<O>> {
        if (request.agent.id === QUESTION_AGENT.id) {
          const output = request.schema.parse(request.offline?.());
          return {
            output,
            usage: { inputTokens: 10, outputTokens: 10 },
            costUsd: 0,
            model: this.id,
            latencyMs: 0,
          };
        }
        throw new IdeaMineError(ErrorCode.modelError, 'failed schema validation twice', {
          errorClass: ErrorClass.schema,
          details: { usage: { inputTokens: 40, outputTokens: 60 } },
        });
      },
    };
    const result = await clarify({
      db,
      model,
      runId,
      phase: 'prd',
      artifacts: draftArtifacts(),
      thresholds: THRESHOLDS,
      maxQuestions: 2,
      maxRounds: 1,
    });
    expect(result).toMatchObject({ questions: 2, rejected: 2, accepted: 0 });
    expect(result.usage).toMatchObject({ calls: 5, inputTokens: 10 + 4 * 40, outputTokens: 10 + 4 * 60 });
    expect(result.bindings.every((b) => b.rounds === 2)).toBe(true);
  });

  it('reads upstream references without questioning them, and rejects bad input', async () => {
    const runId = await insertRun(db);
    const [spec, prd] = draftArtifacts();
    const result = await clarify({
      db,
      model: createOfflineModel(),
      runId,
      phase: 'prd',
      artifacts: [prd as NonNullable<typeof prd>],
      references: [spec as NonNullable<typeof spec>],
      thresholds: THRESHOLDS,
    });
    expect(result.accepted).toBeGreaterThan(0);
    for (const binding of result.bindings)
      expect(binding.question).not.toMatch(/lose track of who is doing what/);
    expect(result.bindings.flatMap((b) => b.citations).some((c) => c.artifactId === 'idea-spec')).toBe(true);
    await expect(
      clarify({
        db,
        model: createOfflineModel(),
        runId,
        phase: 'prd',
        artifacts: [],
        thresholds: { ...THRESHOLDS, fusionMinConsensus: 2 },
      }),
    ).rejects.toThrow(/fusionMinConsensus must be in \[0, 1\]/);
    const empty = await clarify({
      db,
      model: createOfflineModel(),
      runId,
      phase: 'prd',
      artifacts: [],
      thresholds: THRESHOLDS,
    });
    expect(empty).toMatchObject({
      questions: 0,
      coverage: 1,
      consensus: 1,
      conflicts: 0,
      frameIds: [],
      userPrompts: 0,
    });
  });
});
