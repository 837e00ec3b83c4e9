import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers } from '../../../test/support/services.ts';
import { ErrorCode, type IdeaMineError } from '../../core/errors.ts';
import type { Database } from '../../storage/database.ts';
import { EVENTS_CHANNEL, readEvents } from '../../storage/event-store.ts';
import { recordAssumptions } from './assumptions.ts';
import { listAssumptions, searchFrames, setAssumptionStatus } from './knowledge-map.ts';
import { refine } from './refinery.ts';
import { insertRun } from './test-fixtures.ts';
import type { FrameDraft } from './types.ts';

function draft(subject: string, predicate: string, object: string): FrameDraft {
  return {
    subject,
    predicate,
    object,
    confidence: 1,
    provenance: {
      runId: 'r',
      phase: 'prd',
      questionId: 'q',
      question: 'q',
      claimIds: [],
      citations: [],
      model: 'offline',
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<IdeaMineError> {
  try {
    await promise;
  } catch (error) {
    return error as IdeaMineError;
  }
  throw new Error('expected a rejection');
}

for (const driver of drivers) {
  describe.skipIf(!driver.available)(`knowledge map queries on ${driver.name}`, () => {
    let db: Database;
    let runId: string;
    let otherRun: string;

    beforeAll(async () => {
      db = await driver.open();
      runId = await insertRun(db);
      otherRun = await insertRun(db);
      const channel = db.channel(EVENTS_CHANNEL);
      await db.transaction(async (tx) => {
        await refine(tx, channel, {
          runId,
          phase: 'intake',
          coverage: 1,
          drafts: [
            draft('goal G2', 'metric', 'Updates reach other members within 2 seconds'),
            draft('user U2', 'need', 'Get tasks assigned with a clear due date'),
            draft('IdeaSpec', 'constraint 1', 'Teams have at most 20 members'),
          ],
        });
        await refine(tx, channel, {
          runId,
          phase: 'prd',
          coverage: 1,
          drafts: [
            draft(
              'requirement R3',
              'statement',
              'Offline edits sync automatically when the device reconnects',
            ),
          ],
        });
        await refine(tx, channel, {
          runId: otherRun,
          phase: 'prd',
          coverage: 1,
          drafts: [draft('requirement R9', 'statement', 'Offline sync for another run')],
        });
      });
    });
    afterAll(async () => {
      await db?.close();
    });

    it('list every frame of the run in insertion order without text', async () => {
      const all = await searchFrames(db, runId);
      expect(all.map((f) => f.subject)).toEqual(['goal G2', 'user U2', 'IdeaSpec', 'requirement R3']);
      expect(await searchFrames(db, runId, '   ', 2)).toHaveLength(2);
      expect((await searchFrames(db, runId, undefined, 50, { phase: 'prd' })).map((f) => f.subject)).toEqual([
        'requirement R3',
      ]);
      expect(all[0]).toMatchObject({
        runId,
        phase: 'intake',
        status: 'active',
        mergedInto: null,
        confidence: 1,
      });
      expect(all[0]?.createdAt).toBeInstanceOf(Date);
    });

    it('find frames by full-text search with English stemming, within one run', async () => {
      const found = await searchFrames(db, runId, 'assigning tasks');
      expect(found.map((f) => f.subject)).toEqual(['user U2']);
      expect(found[0]?.rank).toBeGreaterThan(0);
      expect((await searchFrames(db, runId, 'offline sync')).map((f) => f.subject)).toEqual([
        'requirement R3',
      ]);
      expect(await searchFrames(db, runId, 'pricing')).toEqual([]);
    });

    it('require every term by default and any term in `any` mode, ranking better matches first', async () => {
      expect(await searchFrames(db, runId, 'offline members')).toEqual([]);
      const any = await searchFrames(db, runId, 'offline members updates', 10, { match: 'any' });
      expect(any.map((f) => f.subject)).toEqual(['goal G2', 'IdeaSpec', 'requirement R3']);
      expect((await searchFrames(db, runId, '"due date" -offline')).map((f) => f.subject)).toEqual([
        'user U2',
      ]);
    });

    it('treat tsquery syntax in user text as words, never as an error', async () => {
      for (const text of ["sync & (latency | !'", ':* <-> \\', 'the a of']) {
        await expect(searchFrames(db, runId, text)).resolves.toBeInstanceOf(Array);
        await expect(searchFrames(db, runId, text, 5, { match: 'any' })).resolves.toBeInstanceOf(Array);
      }
      expect((await rejection(searchFrames(db, 'not-a-uuid'))).code).toBe(ErrorCode.invalidInput);
    });

    it('register assumptions once, list them, and change their status', async () => {
      const channel = db.channel(EVENTS_CHANNEL);
      const assumption = {
        statement: 'Teams pay per seat',
        rationale: 'Nothing in the inputs states a price',
        mitigation: 'Validate pricing with five teams',
      };
      const ids = await db.transaction((tx) =>
        recordAssumptions(tx, channel, { runId, phase: 'bizdev' }, [assumption]),
      );
      const again = await db.transaction((tx) =>
        recordAssumptions(tx, channel, { runId, phase: 'bizdev' }, [assumption]),
      );
      expect(again).toEqual(ids);
      const events = await readEvents(db, { runId, types: ['assumption.created'] });
      expect(events.map((e) => e.payload)).toEqual([
        { assumptionId: ids[0], statement: 'Teams pay per seat' },
      ]);
      expect(events[0]?.phase).toBe('bizdev');

      const [listed] = await listAssumptions(db, runId);
      expect(listed).toMatchObject({
        id: ids[0],
        runId,
        phase: 'bizdev',
        ...assumption,
        mitigationTaskId: null,
        status: 'active',
        validatedAt: null,
      });
      const validated = await setAssumptionStatus(db, ids[0] ?? '', 'validated');
      expect(validated.status).toBe('validated');
      expect(validated.validatedAt).toBeInstanceOf(Date);
      expect((await setAssumptionStatus(db, ids[0] ?? '', 'active')).validatedAt).toBeNull();
      expect(await listAssumptions(db, otherRun)).toEqual([]);

      const missing = await rejection(
        setAssumptionStatus(db, '00000000-0000-4000-8000-000000000000', 'invalidated'),
      );
      expect(missing.code).toBe(ErrorCode.notFound);
      const bad = await rejection(setAssumptionStatus(db, ids[0] ?? '', 'gone' as 'active'));
      expect(bad.code).toBe(ErrorCode.invalidInput);
    });
  });
}
