import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers } from '../../../test/support/services.ts';
import type { Database } from '../../storage/database.ts';
import { EVENTS_CHANNEL, readEvents } from '../../storage/event-store.ts';
import { getFrames, listConflicts } from './knowledge-map.ts';
import { claimCovered, fission, fissionCoverage, type RefinableBinding, refine } from './refinery.ts';
import { insertRun } from './test-fixtures.ts';
import type { AssessedClaim, FrameDraft } from './types.ts';

function draft(subject: string, predicate: string, object: string, questionId = 'q-1'): FrameDraft {
  return {
    subject,
    predicate,
    object,
    confidence: 0.9,
    provenance: {
      runId: 'r',
      phase: 'prd',
      questionId,
      question: 'q',
      claimIds: ['c-1'],
      citations: [{ artifactId: 'a', path: '$.x', quote: object }],
      model: 'offline',
    },
  };
}

describe('fission', () => {
  const binding: RefinableBinding = {
    question: { id: 'q-1', text: 'How fast is sync?', claimIds: ['c-1'], rationale: '' },
    answer: {
      status: 'answered',
      answer: '',
      statements: [
        { subject: ' Sync ', predicate: 'latency', object: 'under  2 seconds', citations: [] },
        { subject: 'Sync', predicate: 'transport', object: 'websockets', citations: [] },
      ],
      assumption: { statement: '', rationale: '', mitigation: '' },
    },
    validation: {
      verdict: 'ACCEPT',
      scores: { grounding: 0.5, completeness: 1, specificity: 1, consistency: 1 },
      reasons: [],
      groundedStatements: [0],
    },
    model: 'offline',
  };

  it('turns only the grounded statements of accepted answers into frames', () => {
    const drafts = fission(
      [binding, { ...binding, validation: { ...binding.validation, verdict: 'REJECT' } }],
      'run',
      'prd',
    );
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({
      subject: 'Sync',
      predicate: 'latency',
      object: 'under 2 seconds',
      confidence: 0.875,
    });
    expect(drafts[0]?.provenance).toMatchObject({
      runId: 'run',
      phase: 'prd',
      questionId: 'q-1',
      claimIds: ['c-1'],
    });
  });

  it('counts a claim covered when a frame from its question shares its terms', () => {
    const claim = (id: string, text: string, supported = false): AssessedClaim => ({
      id,
      artifactId: 'a',
      path: '$.x',
      text,
      terms: text.toLowerCase().split(' '),
      numbers: [],
      support: supported ? { sourceId: 'b', path: '$.y', shared: [] } : null,
    });
    const frames = [draft('sync', 'latency', 'sync latency under budget')];
    expect(claimCovered(claim('c-1', 'sync latency target'), frames)).toBe(true);
    expect(claimCovered(claim('c-1', 'pricing per seat'), frames)).toBe(false);
    expect(claimCovered(claim('c-2', 'sync latency target'), frames)).toBe(false);
    const claims = [
      claim('c-1', 'sync latency target'),
      claim('c-3', 'pricing per seat', true),
      claim('c-4', 'export csv'),
    ];
    expect(fissionCoverage(claims, frames)).toEqual({ coverage: 0.667, groundedCoverage: 0.667 });
    expect(fissionCoverage([], frames)).toEqual({ coverage: 1, groundedCoverage: 1 });
    // A claim that was examined and registered as an assumption is accounted for, but not grounded.
    const uncovered = claims.find((c) => c.support === null && !claimCovered(c, frames));
    if (uncovered)
      expect(fissionCoverage(claims, frames, new Set([uncovered.id]))).toEqual({
        coverage: 1,
        groundedCoverage: 0.667,
      });
  });
});

for (const driver of drivers) {
  describe.skipIf(!driver.available)(`fusion on ${driver.name}`, () => {
    let db: Database;
    let runId: string;
    const channel = () => db.channel(EVENTS_CHANNEL);

    beforeAll(async () => {
      db = await driver.open();
      runId = await insertRun(db);
    });
    afterAll(async () => {
      await db?.close();
    });

    it('merges equal frames into the oldest and emits the delta and fusion events', async () => {
      const result = await db.transaction((tx) =>
        refine(tx, channel(), {
          runId,
          phase: 'prd',
          coverage: 0.8,
          drafts: [
            draft('Sync', 'latency', 'under 2 seconds'),
            draft('sync ', 'Latency', 'Under 2 seconds.', 'q-2'),
            draft('Export', 'format', 'CSV'),
          ],
        }),
      );
      expect(result).toMatchObject({ merged: 1, conflicts: 0, consensus: 1 });
      const frames = await getFrames(db, result.frameIds);
      expect(frames.map((f) => f.id)).toEqual(result.frameIds);
      const [first, second, third] = frames;
      expect(second).toMatchObject({ status: 'merged', mergedInto: first?.id });
      expect(first?.status).toBe('active');
      expect(result.canonicalIds).toEqual([first?.id, third?.id]);

      const events = await readEvents(db, { runId, types: ['kmap.delta.created', 'kmap.fusion.complete'] });
      expect(events.map((e) => e.type)).toEqual(['kmap.delta.created', 'kmap.fusion.complete']);
      expect(events[0]).toMatchObject({
        phase: 'prd',
        payload: { deltaId: result.deltaId, frameIds: result.frameIds, coverage: 0.8 },
      });
      expect(events[1]?.payload).toEqual({ frameIds: result.canonicalIds, mergedCount: 1, consensus: 1 });
    });

    it('flags frames that disagree on the object as a conflict and lowers consensus', async () => {
      const result = await db.transaction((tx) =>
        refine(tx, channel(), {
          runId,
          phase: 'prd',
          coverage: 1,
          drafts: [draft('sync', 'latency', 'under 5 seconds', 'q-3')],
        }),
      );
      // Sources on sync/latency: two agree on "under 2 seconds" (one merged), one says 5.
      expect(result).toMatchObject({ merged: 0, conflicts: 1, consensus: 0.667 });
      const [conflict] = await listConflicts(db, runId);
      expect(conflict?.objects.map((o) => [o.object, o.sources])).toEqual([
        ['under 2 seconds', 2],
        ['under 5 seconds', 1],
      ]);
      const canonical = await getFrames(db, conflict?.objects.map((o) => o.frameId) ?? []);
      expect(canonical.map((f) => f.status)).toEqual(['conflict', 'conflict']);
    });

    it('writes nothing and emits nothing for an empty delta', async () => {
      const before = await readEvents(db, { runId });
      const result = await db.transaction((tx) =>
        refine(tx, channel(), { runId, phase: 'prd', coverage: 1, drafts: [] }),
      );
      expect(result).toMatchObject({ deltaId: null, frameIds: [], consensus: 1, conflicts: 0 });
      expect(await readEvents(db, { runId })).toHaveLength(before.length);
    });

    it('commits frames and events together or not at all', async () => {
      const before = await readEvents(db, { runId });
      let ids: string[] = [];
      await expect(
        db.transaction(async (tx) => {
          ids = (
            await refine(tx, channel(), {
              runId,
              phase: 'qa',
              coverage: 1,
              drafts: [draft('a b', 'c', 'd e f')],
            })
          ).frameIds;
          throw new Error('crash after the writes');
        }),
      ).rejects.toThrow('crash after the writes');
      expect(ids).toHaveLength(1);
      expect(await getFrames(db, ids)).toEqual([]);
      expect(await readEvents(db, { runId })).toHaveLength(before.length);
    });
  });
}
