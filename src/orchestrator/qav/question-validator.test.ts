import { describe, expect, it } from 'vitest';
import { extractClaims, sourcesOf } from './claims.ts';
import { citationProblem, contradicts, isSpecific, validateAnswer } from './question-validator.ts';
import { draftArtifacts } from './test-fixtures.ts';
import type { Answer, AnswerStatement, Question } from './types.ts';

const artifacts = draftArtifacts();
const sources = sourcesOf(artifacts, []);
const r1 = extractClaims(artifacts).find(
  (c) => c.artifactId === 'prd-draft' && c.path === '$.requirements[0].statement',
);
if (!r1) throw new Error('fixture changed: R1 is not a claim');
const question: Question = {
  id: 'q-1',
  text: 'Who can be assigned a task, and is a due date required?',
  claimIds: [r1.id],
  rationale: 'decides the assignment model',
};

const grounded: AnswerStatement = {
  subject: 'user U2',
  predicate: 'need',
  object: 'Get tasks assigned with a clear due date',
  citations: [
    { artifactId: 'idea-spec', path: '$.users[1].need', quote: 'tasks assigned with a clear due date' },
  ],
};

function answer(statements: AnswerStatement[], status: Answer['status'] = 'answered'): Answer {
  return {
    status,
    answer: statements.map((s) => s.object).join('; '),
    statements,
    assumption: { statement: '', rationale: '', mitigation: '' },
  };
}

function validate(a: Answer, frames: Parameters<typeof validateAnswer>[0]['frames'] = []) {
  return validateAnswer({ question, claims: [r1 as NonNullable<typeof r1>], answer: a, sources, frames });
}

describe('citations resolve by code', () => {
  it('when the source, the path and the quote all check out (case and spacing aside)', () => {
    expect(
      citationProblem(grounded.citations[0] as NonNullable<(typeof grounded.citations)[0]>, sources),
    ).toBeNull();
    expect(
      citationProblem(
        { artifactId: 'idea-spec', path: '$.users[1].need', quote: 'TASKS  assigned with a clear' },
        sources,
      ),
    ).toBeNull();
    // A path to an object accepts a quote from any string below it.
    expect(
      citationProblem({ artifactId: 'idea-spec', path: '$.users[1]', quote: 'Team member' }, sources),
    ).toBeNull();
  });

  it('and say why they do not', () => {
    const problem = (artifactId: string, path: string, quote: string) =>
      citationProblem({ artifactId, path, quote }, sources, new Set([`prd-draft\u0000${r1?.path}`]));
    expect(problem('made-up', '$.summary', 'shared todo list')).toMatch(/unknown source/);
    expect(problem('idea-spec', '$.users[7].need', 'due date')).toMatch(/does not exist/);
    expect(problem('idea-spec', '$.users[0].need', 'clear due date')).toMatch(/does not occur/);
    expect(problem('idea-spec', '$', 'clear due date')).toMatch(/whole source/);
    expect(problem('idea-spec', '$.users[1].need', 'due')).toMatch(/too short/);
    expect(problem('prd-draft', r1?.path ?? '', 'assign a task')).toMatch(/statement under question/);
  });
});

describe('validateAnswer', () => {
  it('accepts a grounded, specific, consistent answer', () => {
    const result = validate(answer([grounded]));
    expect(result.verdict).toBe('ACCEPT');
    expect(result.scores).toEqual({ grounding: 1, completeness: 1, specificity: 1, consistency: 1 });
    expect(result.groundedStatements).toEqual([0]);
  });

  it('rejects fabricated citations and numbers the quotes do not state', () => {
    const fabricated = {
      ...grounded,
      citations: [{ artifactId: 'idea-spec', path: '$.users[1].need', quote: 'assigned by a manager' }],
    };
    const inflated = { ...grounded, object: 'Tasks are assigned with a due date within 3 days' };
    const result = validate(answer([grounded, fabricated, inflated]));
    expect(result.verdict).toBe('REJECT');
    expect(result.scores.grounding).toBeCloseTo(1 / 3, 3);
    expect(result.groundedStatements).toEqual([0]);
    expect(result.reasons.join('\n')).toMatch(/statement 2: quote "assigned by a manager" does not occur/);
    expect(result.reasons.join('\n')).toMatch(/statement 3: states 3, which its quotes do not contain/);
    expect(result.reasons.join('\n')).toMatch(/grounding 0\.33 is below 0\.80/);
  });

  it('rejects a statement whose object is not what its quote says', () => {
    const swapped = { ...grounded, object: 'Managers approve every invoice' };
    expect(validate(answer([swapped])).reasons.join()).toMatch(/is not what its quotes say/);
  });

  it('rejects an answer that contradicts the knowledge map, by number or by negation', () => {
    const frame = {
      id: 'f-1',
      subject: 'User U2',
      predicate: 'need',
      object: 'Get tasks assigned with no due date',
    };
    const result = validate(answer([grounded]), [frame]);
    expect(result.verdict).toBe('REJECT');
    expect(result.scores.consistency).toBe(0);
    expect(result.reasons.join()).toMatch(/contradicts knowledge frame f-1/);
    expect(
      contradicts(
        { subject: 'sync', predicate: 'latency', object: 'under 2 seconds' },
        { subject: 'Sync', predicate: 'latency', object: 'under 5 seconds' },
      ),
    ).toBe(true);
    expect(
      contradicts(
        { subject: 'sync', predicate: 'latency', object: 'under 2 seconds' },
        { subject: 'sync', predicate: 'owner', object: 'under 5 seconds' },
      ),
    ).toBe(false);
    // A merged frame is a duplicate of its canonical one and is not checked twice.
    expect(validate(answer([grounded]), [{ ...frame, status: 'merged' as const }]).verdict).toBe('ACCEPT');
  });

  it('rejects vague and empty answers; passes unknowns through as UNKNOWN', () => {
    const vague = {
      ...grounded,
      object: 'Various tasks etc',
      citations: [{ artifactId: 'prd-draft', path: '$.problem', quote: 'Tasks scattered' }],
    };
    expect(isSpecific(vague)).toBe(false);
    expect(validate(answer([vague])).reasons.join()).toMatch(/specificity 0\.00 is below 0\.50/);
    const empty = validate(answer([]));
    expect(empty.verdict).toBe('REJECT');
    expect(empty.reasons).toContain('the answer makes no statement');
    expect(validate(answer([], 'unknown')).verdict).toBe('UNKNOWN');
  });

  it('lets the coordinator tighten the grounding threshold', () => {
    const half = answer([grounded, { ...grounded, citations: [] }]);
    const loose = validateAnswer({
      question,
      claims: [r1],
      answer: half,
      sources,
      frames: [],
      thresholds: { groundingMin: 0.5 },
    });
    expect(loose.verdict).toBe('ACCEPT');
    expect(validate(half).verdict).toBe('REJECT');
  });
});
