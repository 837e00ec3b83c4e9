import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, POSTGRES_URL, postgresReachable, uniqueSchema } from '../../test/support/services.ts';
import type { Database } from './database.ts';
import { artifactHashes, artifactLineage, findArtifactIds, recordedInputs } from './lineage-store.ts';
import { openDatabase } from './open.ts';
import { insertArtifact, insertRun } from './run-store.ts';

/** A small run whose artifacts form a diamond over the idea, plus a second run that must never leak in. */
async function seed(db: Database) {
  const runId = await insertRun(db, { idea: { title: 't' }, plan: {}, planHash: 'h', budgets: {} });
  const otherRun = await insertRun(db, { idea: { title: 'u' }, plan: {}, planHash: 'h', budgets: {} });
  let n = 0;
  const add = async (run: string, name: string, provenance: Record<string, unknown>) =>
    (
      await insertArtifact(db, {
        runId: run,
        phase: 'p',
        type: name,
        name,
        content: { name },
        hash: `hash-${name}`,
        provenance,
        idempotencyKey: `${run}:${name}:${n++}`,
      })
    ).artifact.id;
  const idea = await add(runId, 'Idea', { source: 'user' });
  const spec = await add(runId, 'IdeaSpec', { source: 'agent', inputs: [idea] });
  // 'workspace' is what a fixer's prompt calls the snapshot it read: not an artifact, so not an edge.
  const prd = await add(runId, 'PRD', { source: 'agent', inputs: [idea, spec, 'workspace'] });
  const dossier = await add(runId, 'ReleaseDossier', { source: 'agent', inputs: [prd, spec, idea] });
  const loose = await add(runId, 'Personas', { source: 'agent', inputs: [idea] });
  const odd = await add(runId, 'Odd', { source: 'orchestrator', inputs: { not: 'an array' } });
  const foreign = await add(otherRun, 'IdeaSpec', { source: 'agent', inputs: [idea] });
  return { runId, idea, spec, prd, dossier, loose, odd, foreign };
}

const drivers: Array<{ name: string; available: boolean; open: () => Promise<Database> }> = [
  { name: 'pglite', available: true, open: () => openDatabase({ driver: 'pglite' }) },
  {
    name: 'postgres',
    available: postgresReachable,
    open: async () => {
      const schema = uniqueSchema('lineage');
      const db = await openDatabase({ driver: 'postgres', url: POSTGRES_URL, schema, poolSize: 2 });
      const close = db.close.bind(db);
      return Object.assign(db, { close: () => close().then(() => dropSchema(schema)) });
    },
  },
];

describe.each(drivers)('artifact lineage on $name', ({ available, open }) => {
  let db: Database;
  let ids: Awaited<ReturnType<typeof seed>>;
  beforeAll(async () => {
    if (!available) return;
    db = await open();
    ids = await seed(db);
  });
  afterAll(async () => db?.close());

  it.runIf(available)('ancestors: every artifact read, transitively, each once', async () => {
    const lineage = await artifactLineage(db, ids.dossier);
    expect(lineage?.root.id).toBe(ids.dossier);
    expect(lineage?.nodes.map((n) => n.id).sort()).toEqual([ids.dossier, ids.prd, ids.spec, ids.idea].sort());
    const prd = lineage?.nodes.find((n) => n.id === ids.prd);
    expect(prd?.inputs).toEqual([ids.idea, ids.spec]);
    expect(prd?.hash).toBe('hash-PRD');
    expect(lineage?.nodes.find((n) => n.id === ids.idea)?.inputs).toEqual([]);
  });

  it.runIf(available)('descendants: everything made from an artifact, within its run only', async () => {
    const fromSpec = await artifactLineage(db, ids.spec, 'descendants');
    expect(fromSpec?.nodes.map((n) => n.id).sort()).toEqual([ids.spec, ids.prd, ids.dossier].sort());
    const fromIdea = await artifactLineage(db, ids.idea, 'descendants');
    expect(fromIdea?.nodes.map((n) => n.id).sort()).toEqual(
      [ids.idea, ids.spec, ids.prd, ids.dossier, ids.loose].sort(),
    );
    expect(fromIdea?.nodes.some((n) => n.id === ids.foreign)).toBe(false);
  });

  it.runIf(available)('an artifact that read nothing is its own whole lineage', async () => {
    const odd = await artifactLineage(db, ids.odd);
    expect(odd?.nodes.map((n) => n.id)).toEqual([ids.odd]);
    expect(odd?.root.inputs).toEqual([]);
  });

  it.runIf(available)(
    'terminates on a cycle (rows written by hand), listing each artifact once',
    async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      for (const [id, input] of [
        [a, b],
        [b, a],
      ] as const) {
        await db.query(
          `insert into artifacts (id, run_id, phase_id, type, name, content, hash, provenance)
         values ($1, $2, 'p', 'Loop', 'loop', '{}', 'h', $3)`,
          [id, ids.runId, JSON.stringify({ inputs: [input] })],
        );
      }
      expect((await artifactLineage(db, a))?.nodes.map((n) => n.id).sort()).toEqual([a, b].sort());
      expect((await artifactLineage(db, a, 'descendants'))?.nodes.map((n) => n.id).sort()).toEqual(
        [a, b].sort(),
      );
    },
  );

  it.runIf(available)('unknown or malformed ids have no lineage', async () => {
    expect(await artifactLineage(db, randomUUID())).toBeUndefined();
    expect(await artifactLineage(db, 'not-an-id')).toBeUndefined();
  });

  it.runIf(available)('finds artifacts by full id or unique prefix, and hashes by id', async () => {
    expect(await findArtifactIds(db, ids.prd.toUpperCase())).toEqual([ids.prd]);
    expect(await findArtifactIds(db, ids.prd.slice(0, 13))).toEqual([ids.prd]);
    expect(await findArtifactIds(db, randomUUID())).toEqual([]);
    expect((await findArtifactIds(db, '')).length).toBe(2);
    const hashes = await artifactHashes(db, [ids.spec, 'workspace', randomUUID()]);
    expect([...hashes]).toEqual([[ids.spec, 'hash-IdeaSpec']]);
  });
});

describe('recordedInputs', () => {
  it('keeps only well-formed artifact ids, in order', () => {
    const id = randomUUID();
    expect(recordedInputs({ inputs: ['workspace', id, 7, null] })).toEqual([id]);
    expect(recordedInputs({ inputs: 'x' })).toEqual([]);
    expect(recordedInputs({})).toEqual([]);
  });
});
