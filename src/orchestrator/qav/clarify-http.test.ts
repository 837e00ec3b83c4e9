import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type FakeOpenAIServer,
  type FakeRequest,
  reply,
  startFakeOpenAIServer,
} from '../../../test/support/fake-openai-server.ts';
import { createOpenAICompatibleModel } from '../../llm/providers.ts';
import type { Database } from '../../storage/database.ts';
import { readEvents } from '../../storage/event-store.ts';
import { openDatabase } from '../../storage/open.ts';
import { clarify } from './clarify.ts';
import { getFrames, listAssumptions } from './knowledge-map.ts';
import { insertDraft, insertRun, THRESHOLDS, tokenBudget } from './test-fixtures.ts';

/**
 * The triad against an OpenAI-compatible server over real HTTP. The "good model" reads only what
 * the prompts give it: claim ids from the question prompt, sources from the answer prompt, so the
 * test also proves the prompts carry what a model needs to produce answers that validate.
 */

const CLAIM_LINE = /^- \[(c-[0-9a-f]{12})\] \S+ (\S+): "(.*)"$/gm;
const SOURCE_LINE = /^- \[([^\]]+)\] (\S+) (\S+): "(.*)"$/gm;

function goodModel(request: FakeRequest): unknown {
  if (request.system.includes('Question agent')) {
    const claims = [...request.prompt.matchAll(CLAIM_LINE)].slice(0, 4);
    return {
      questions: claims.map(([, id, path, text]) => ({
        question: `What settles "${text}" (${path})?`,
        claimIds: [id],
        rationale: 'It decides what the PRD commits to.',
      })),
    };
  }
  const sources = [...request.prompt.matchAll(SOURCE_LINE)].filter(([, , , , text]) => !text?.endsWith('…'));
  const [, id, , path, text] = sources[0] ?? [];
  if (!id || !path || !text) {
    return {
      status: 'unknown',
      answer: '',
      statements: [],
      assumption: { statement: 'Assume it holds', rationale: 'No source', mitigation: 'Check it' },
    };
  }
  return {
    status: 'answered',
    answer: text,
    statements: [
      {
        subject: 'the draft',
        predicate: `says at ${path}`,
        object: text,
        citations: [{ artifactId: id, path, quote: text }],
      },
    ],
    assumption: { statement: '', rationale: '', mitigation: '' },
  };
}

describe('clarify through an OpenAI-compatible server over HTTP', () => {
  let server: FakeOpenAIServer;
  let db: Database;

  beforeAll(async () => {
    server = await startFakeOpenAIServer();
    db = await openDatabase({ driver: 'pglite' });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });
  beforeEach(() => {
    server.reset();
    server.setDefault(reply.synthesize());
  });

  const model = () => createOpenAICompatibleModel({ model: 'fake-chat', baseUrl: server.url });

  it('rejects what a schema-only server synthesises: nothing is accepted, everything becomes an assumption', async () => {
    const runId = await insertRun(db);
    const artifacts = await insertDraft(db, runId);
    const result = await clarify({
      db,
      model: model(),
      runId,
      phase: 'prd',
      artifacts,
      thresholds: THRESHOLDS,
      maxQuestions: 3,
    });

    // Synthesised claim ids match no claim, so the deterministic questions are asked instead.
    expect(result.questionSource).toBe('fallback');
    expect(result).toMatchObject({ questions: 3, accepted: 0, frameIds: [], userPrompts: 0 });
    expect(result.rejected + result.unknown).toBe(3);
    expect(result.usage.calls).toBe(server.requests.length);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.assumptionIds.length).toBeGreaterThanOrEqual(3);
    expect(await readEvents(db, { runId, types: ['kmap.delta.created'] })).toEqual([]);
    for (const request of server.requests.slice(1)) expect(request.schema).toBeTruthy();
  });

  it('accepts well-grounded answers from a scripted model and stores their frames', async () => {
    server.setDefault(reply.json(goodModel));
    const runId = await insertRun(db);
    const artifacts = await insertDraft(db, runId);
    const budget = tokenBudget(200_000);
    const result = await clarify({
      db,
      model: model(),
      runId,
      phase: 'prd',
      artifacts,
      thresholds: THRESHOLDS,
      budget,
    });

    expect(result.questionSource).toBe('model');
    expect(result.questions).toBe(4);
    expect(result.accepted).toBeGreaterThan(0);
    expect(result.userPrompts).toBe(0);
    expect(result.usage.calls).toBe(server.requests.length);
    expect(budget.reserved).toBeGreaterThanOrEqual(result.usage.inputTokens + result.usage.outputTokens);
    const [delta] = await readEvents(db, { runId, types: ['kmap.delta.created'] });
    const frameIds = delta?.payload['frameIds'] as string[];
    expect(frameIds).toEqual(result.frameIds);
    const frames = await getFrames(db, frameIds);
    expect(frames).toHaveLength(frameIds.length);
    expect(frames.every((f) => f.provenance.model === 'openai-compatible:fake-chat')).toBe(true);
    const ids = new Set(artifacts.map((a) => a.id));
    for (const frame of frames) {
      expect(frame.provenance.citations.every((c) => ids.has(c.artifactId))).toBe(true);
    }
    expect((await listAssumptions(db, runId)).length).toBe(result.assumptionIds.length);
  });

  it('regenerates after a bad HTTP answer and accepts the corrected one', async () => {
    const runId = await insertRun(db);
    const artifacts = await insertDraft(db, runId);
    server.setDefault(reply.json(goodModel));
    const fabricated = {
      status: 'answered',
      answer: 'Teams of 50',
      statements: [
        {
          subject: 'team',
          predicate: 'size',
          object: 'Teams of 50',
          citations: [{ artifactId: artifacts[0]?.id, path: '$.constraints[0]', quote: 'Teams of 50' }],
        },
      ],
      assumption: { statement: '', rationale: '', mitigation: '' },
    };
    server.enqueue(reply.json(goodModel), reply.json(fabricated));
    const result = await clarify({
      db,
      model: model(),
      runId,
      phase: 'prd',
      artifacts,
      thresholds: THRESHOLDS,
      maxQuestions: 1,
    });
    expect(result.bindings[0]).toMatchObject({ verdict: 'ACCEPT', rounds: 2 });
    expect(server.requests[2]?.prompt).toMatch(
      /previous answer was rejected because:\n- statement 1: quote "Teams of 50" does not occur/,
    );
  });
});
