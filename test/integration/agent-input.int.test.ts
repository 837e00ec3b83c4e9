import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/core/ids.ts';
import { AgentInputSource } from '../../src/orchestrator/agent-input-source.ts';
import {
  type AgentTaskInput,
  latestArtifacts,
  selectAgentInput,
  stableOrder,
} from '../../src/orchestrator/agent-task.ts';
import type { Database } from '../../src/storage/database.ts';
import { getRun, insertArtifact, insertRun, listArtifacts } from '../../src/storage/run-store.ts';
import { drivers } from '../support/services.ts';
import { countStatements } from '../support/statement-count.ts';

/**
 * Agent inputs are selected in SQL (only the types the agent reads, each phase's last gate attempt)
 * and must equal what reading every artifact and filtering in JavaScript gave: same artifacts, same
 * order, same provenance ids. Agents of one phase attempt share one read; another attempt or
 * generation reads again.
 */

/** The selection as it was before it moved into SQL: every artifact of the run, filtered here. */
async function referenceSelection(db: Database, input: AgentTaskInput, reads: readonly string[]) {
  const run = await getRun(db, input.runId);
  const upstream = stableOrder(latestArtifacts(await listArtifacts(db, input.runId))).filter(
    (a) => a.phase !== input.phase,
  );
  const wanted = new Set(reads);
  const read = upstream.filter((a) => a.type === 'Idea').map((a) => a.id);
  const artifacts: Record<string, unknown[]> = {};
  for (const a of [...upstream, ...input.phaseArtifacts]) {
    if (!wanted.has(a.type)) continue;
    artifacts[a.type] ??= [];
    artifacts[a.type]?.push({
      id: a.id,
      type: a.type,
      name: a.name,
      phase: a.phase,
      content: a.content,
    });
    read.push(a.id);
  }
  return { idea: run?.idea, artifacts, read };
}

for (const driver of drivers) {
  describe.skipIf(!driver.available)(`agent input selection (${driver.name})`, () => {
    let db: Database;
    let runId: string;
    let n = 0;
    const add = (
      phase: string,
      type: string,
      name: string,
      gateAttempt?: number,
      content: unknown = { n },
    ) => {
      n += 1;
      return insertArtifact(db, {
        runId,
        phase,
        type,
        name,
        content,
        hash: sha256(String(n)),
        provenance: gateAttempt === undefined ? { source: 'test' } : { source: 'test', gateAttempt },
        idempotencyKey: `${runId}:${n}`,
      });
    };
    const task = (over: Partial<AgentTaskInput> = {}): AgentTaskInput => ({
      runId,
      phase: 'design',
      agentId: 'a',
      agentVersion: '1',
      gateAttempt: 1,
      hints: ['h'],
      phaseArtifacts: [],
      ...over,
    });

    beforeAll(async () => {
      db = await driver.open();
      runId = await insertRun(db, { idea: { title: 'todo' }, plan: {}, planHash: 'h', budgets: {} });
      await add('intake', 'Idea', 'idea', 1, { title: 'todo' });
      await add('intake', 'IdeaSpec', 'spec', 1);
      // prd ran twice: only attempt 2 counts, whatever the type.
      await add('prd', 'PRD', 'prd', 1);
      await add('prd', 'Risks', 'risks', 1);
      await add('prd', 'PRD', 'prd', 2);
      await add('prd', 'PRD', 'appendix', 2);
      await add('prd', 'Notes', 'notes', undefined); // no attempt recorded: counts as attempt 1
      // Same (phase, name, type) twice: storage order breaks the tie.
      await add('arch', 'Component', 'same', 1, { first: true });
      await add('arch', 'Component', 'same', 1, { second: true });
      await add('arch', 'Component', 'api', 1);
      const retracted = await add('arch', 'Component', 'gone', 1);
      await db.query('update artifacts set retracted_at = now() where id = $1', [retracted.artifact.id]);
      // The phase's own earlier outputs come from the task input, never from storage.
      await add('design', 'Component', 'own', 1);
    }, 180_000);
    afterAll(async () => {
      await db?.close();
    });

    it('selects exactly what reading everything and filtering did, in the same order', async () => {
      const phaseArtifacts = [{ id: 'p1', type: 'Component', name: 'draft', phase: 'design', content: {} }];
      for (const reads of [
        [],
        ['PRD'],
        ['Component', 'PRD', 'Idea'],
        ['Risks', 'Notes', 'IdeaSpec'],
        ['Nothing'],
      ]) {
        const input = task({ phaseArtifacts });
        const selected = await selectAgentInput(db, input, reads);
        const expected = await referenceSelection(db, input, reads);
        expect(selected.read).toEqual(expected.read);
        expect(selected.input.artifacts).toEqual(expected.artifacts);
        expect(selected.input.idea).toEqual(expected.idea);
      }
      const { input } = await selectAgentInput(db, task(), ['PRD', 'Component']);
      expect(input.artifacts['PRD']?.map((a) => a.name)).toEqual(['appendix', 'prd']);
      expect(input.artifacts['Component']?.map((a) => a.content)).toEqual([
        { n: 9 },
        { first: true },
        { second: true },
      ]);
    });

    it('agents of one phase attempt share one read; another attempt or generation reads again', async () => {
      const source = new AgentInputSource();
      const reads = async (input: AgentTaskInput, types: string[]) =>
        (await countStatements(db, (counted) => selectAgentInput(counted, input, types, source))).statements;
      expect(await reads(task({ generation: 0 }), ['PRD'])).toBe(1);
      expect(await reads(task({ generation: 0 }), ['PRD'])).toBe(0);
      expect(await reads(task({ generation: 0 }), ['PRD', 'Component'])).toBe(1); // a type not read yet
      expect(await reads(task({ generation: 0 }), ['Component'])).toBe(0);
      expect(await reads(task({ generation: 0, gateAttempt: 2 }), ['PRD'])).toBe(1);
      expect(await reads(task({ generation: 1 }), ['PRD'])).toBe(1);
      expect(await reads(task(), ['PRD'])).toBe(1); // no generation: never cached
      expect(await reads(task(), ['PRD'])).toBe(1);
      // A cached answer equals a fresh one, and an agent changing its copy does not change the next.
      const first = await selectAgentInput(db, task({ generation: 0 }), ['PRD', 'Component'], source);
      (first.input.artifacts['PRD']?.[0]?.content as Record<string, unknown>)['n'] = 'changed';
      const again = await selectAgentInput(db, task({ generation: 0 }), ['PRD', 'Component'], source);
      expect(again).toEqual(await selectAgentInput(db, task(), ['PRD', 'Component']));
    });

    it('a run that does not exist is an input error', async () => {
      await expect(
        selectAgentInput(db, task({ runId: '00000000-0000-4000-8000-000000000000' }), ['PRD']),
      ).rejects.toThrow(/does not exist/);
    });
  });
}
