import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { artifactPassages, assessSupport, claimId, extractClaims, framePassages } from './claims.ts';
import { formatPath, parsePath, resolvePath, stringLeaves } from './json-paths.ts';
import { draftArtifacts, IDEA_SPEC, PRD_DRAFT } from './test-fixtures.ts';
import { keyTerms, normaliseText, numbersIn } from './text-terms.ts';
import type { KnowledgeFrame } from './types.ts';

describe('JSON paths', () => {
  it('round-trip any key, including quotes, dots and brackets', () => {
    const segment = fc.oneof(fc.string({ maxLength: 8 }), fc.nat({ max: 50 }));
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (segments) => {
        expect(parsePath(formatPath(segments))).toEqual(segments);
      }),
    );
  });

  it('resolve leaves and report missing steps', () => {
    expect(resolvePath(PRD_DRAFT, '$.requirements[1].statement').value).toBe(
      PRD_DRAFT.requirements[1]?.statement,
    );
    expect(resolvePath({ 'odd key': ['x'] }, "$['odd key'][0]")).toEqual({ found: true, value: 'x' });
    expect(resolvePath(PRD_DRAFT, '$.requirements[9].statement').found).toBe(false);
    expect(resolvePath(PRD_DRAFT, '$.nope').found).toBe(false);
    expect(resolvePath(PRD_DRAFT, 'requirements.0').found).toBe(false);
    // Own properties only: a path must not reach into the prototype.
    expect(resolvePath({}, '$.constructor').found).toBe(false);
  });

  it('walk string leaves in document order', () => {
    expect(stringLeaves({ a: 'x', b: [{ c: 'y' }, 3], d: null }).map((l) => l.path)).toEqual([
      '$.a',
      '$.b[0].c',
    ]);
  });
});

describe('text terms', () => {
  it('keep content words, stemmed, and numbers without separators', () => {
    expect(keyTerms('The teams are assigning Tasks to members')).toEqual([
      'team',
      'assign',
      'task',
      'member',
    ]);
    expect(numbersIn('Up to 10,000 users, 2.5 s p95, 10000 again')).toEqual(['10000', '2.5', '95']);
    expect(normaliseText('  The Offline  Sync. ')).toBe('offline sync');
  });
});

describe('claims', () => {
  const artifacts = draftArtifacts();

  it('are the strings with at least three content words, with stable ids and paths', () => {
    const claims = extractClaims(artifacts);
    const paths = claims.filter((c) => c.artifactId === 'prd-draft').map((c) => c.path);
    expect(paths).toContain('$.requirements[4].statement');
    expect(paths).toContain('$.successMetrics[1]');
    // Ids, priorities and short labels assert nothing.
    expect(paths.some((p) => p.endsWith('.id') || p.endsWith('.priority'))).toBe(false);
    expect(paths).not.toContain('$.outOfScope[0]');
    const r5 = claims.find((c) => c.path === '$.requirements[4].statement');
    const prd = artifacts.find((a) => a.id === 'prd-draft');
    expect(prd).toBeDefined();
    expect(r5?.id).toBe(claimId(prd!, '$.requirements[4].statement', r5!.text));
    // The id does not depend on the artifact's row id (reproducible across runs).
    expect(claimId({ ...prd!, id: 'another-row' } as typeof prd & { id: string }, r5!.path, r5!.text)).toBe(
      r5?.id,
    );
    expect(r5?.numbers).toEqual(['5', '14']);
  });

  it('are supported by another artifact sharing most key terms and every number', () => {
    const assessed = assessSupport(extractClaims(artifacts), artifactPassages(artifacts));
    const byPath = (artifactId: string, path: string) =>
      assessed.find((c) => c.artifactId === artifactId && c.path === path);
    const r2 = byPath('prd-draft', '$.requirements[1].statement');
    expect(r2?.support).toMatchObject({ sourceId: 'idea-spec', path: '$.goals[1].metric' });
    expect(r2?.support?.shared).toEqual(expect.arrayContaining(['update', 'reach', '2', 'second']));
    // Pricing appears nowhere else; sync latency shares the number but not the words.
    expect(byPath('prd-draft', '$.requirements[4].statement')?.support).toBeNull();
    expect(byPath('prd-draft', '$.successMetrics[1]')?.support).toBeNull();
  });

  it('never support themselves, and a knowledge frame counts as a source', () => {
    const prdOnly = artifacts.filter((a) => a.id === 'prd-draft');
    const claims = extractClaims(prdOnly);
    expect(assessSupport(claims, artifactPassages(prdOnly)).every((c) => c.support === null)).toBe(true);
    const frame: KnowledgeFrame = {
      id: 'frame-1',
      runId: 'r',
      phase: 'bizdev',
      subject: 'subscription',
      predicate: 'price',
      object: 'Subscriptions cost 5 USD per seat monthly after a 14 day trial',
      confidence: 0.9,
      provenance: {
        runId: 'r',
        phase: 'bizdev',
        questionId: 'q',
        question: 'q',
        claimIds: [],
        citations: [],
        model: 'offline',
      },
      status: 'active',
      mergedInto: null,
      createdAt: new Date(),
    };
    const priced = assessSupport(claims, framePassages([frame])).find(
      (c) => c.path === '$.requirements[4].statement',
    );
    expect(priced?.support?.sourceId).toBe('frame-1');
  });

  it('label passages for fission by their owner and property', () => {
    const passages = artifactPassages(artifacts);
    const find = (path: string, source: string) =>
      passages.find((p) => p.path === path && p.sourceId === source);
    expect(find('$.requirements[0].statement', 'prd-draft')).toMatchObject({
      subject: 'requirement R1',
      predicate: 'statement',
    });
    expect(find('$.constraints[1]', 'idea-spec')).toMatchObject({
      subject: 'IdeaSpec',
      predicate: 'constraint 2',
    });
    expect(find('$.feasibility.rationale', 'idea-spec')).toMatchObject({
      subject: 'IdeaSpec feasibility',
      predicate: 'rationale',
    });
    expect(IDEA_SPEC.users[1]?.need).toBe(find('$.users[1].need', 'idea-spec')?.text);
  });
});
