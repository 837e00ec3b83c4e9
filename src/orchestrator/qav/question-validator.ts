import { resolvePath, textsAt } from './json-paths.ts';
import {
  hasIdToken,
  hasNamedEntity,
  hasNegation,
  isVague,
  keyTerms,
  normaliseQuote,
  normaliseText,
  numbersIn,
  sharedTerms,
  shorten,
} from './text-terms.ts';
import type {
  Answer,
  AnswerStatement,
  Citation,
  Claim,
  FrameStatus,
  Question,
  Scores,
  Source,
  Validation,
} from './types.ts';

/**
 * The QuestionValidator scores an answer by code, never by a model grading a model:
 * - grounding: share of statements whose citations all resolve (the source exists among the
 *   inputs, the path exists in it, the quote occurs there) and back the statement (its numbers and
 *   at least half its object's key terms appear in the quotes);
 * - completeness: how many of the question's key terms the answer addresses (3 suffice);
 * - specificity: share of statements naming a number, an id, a proper name or three content words,
 *   without vague words ("various", "TBD");
 * - consistency: share of statements that contradict no existing frame and no other statement
 *   (same subject and predicate, and different numbers or opposite negation).
 */

export interface ValidationThresholds {
  groundingMin: number;
  completenessMin: number;
  specificityMin: number;
  consistencyMin: number;
}

export const DEFAULT_VALIDATION_THRESHOLDS: ValidationThresholds = {
  groundingMin: 0.8,
  completenessMin: 0.5,
  specificityMin: 0.5,
  // One contradiction is enough to reject: accepting it would put a conflict into the knowledge map.
  consistencyMin: 1,
};

/** Shorter quotes ("the", "yes") prove nothing unless they are the whole value. */
const MIN_QUOTE_CHARS = 8;
/** Key terms of the question an answer must address for full completeness. */
const COMPLETENESS_TERMS = 3;

export interface ValidationInput {
  question: Question;
  claims: readonly Claim[];
  answer: Answer;
  /** Citable sources: the input artifacts and the frames shown to the answerer. */
  sources: ReadonlyMap<string, Source>;
  /** What the run already holds (its frames, answers accepted earlier), for the consistency check. */
  frames: readonly KnownFact[];
  thresholds?: Partial<ValidationThresholds>;
}

export function validateAnswer(input: ValidationInput): Validation {
  const limits = { ...DEFAULT_VALIDATION_THRESHOLDS, ...input.thresholds };
  const { answer } = input;
  const own = new Set(input.claims.map((c) => `${c.artifactId}\u0000${c.path}`));
  const reasons: string[] = [];
  const groundedStatements: number[] = [];
  answer.statements.forEach((statement, index) => {
    const problems = statementProblems(statement, input.sources, own);
    if (problems.length === 0) groundedStatements.push(index);
    else reasons.push(...problems.map((p) => `statement ${index + 1}: ${p}`));
  });
  const contradictions = findContradictions(answer.statements, input.frames);
  reasons.push(...contradictions.map((c) => c.reason));
  const count = answer.statements.length;
  const scores: Scores = {
    grounding: round(count === 0 ? 0 : groundedStatements.length / count),
    completeness: round(scoreCompleteness(input.question, input.claims, answer)),
    specificity: round(scoreSpecificity(answer.statements)),
    consistency: round(count === 0 ? 1 : 1 - new Set(contradictions.map((c) => c.statement)).size / count),
  };
  if (answer.status === 'unknown') {
    return {
      verdict: 'UNKNOWN',
      scores,
      reasons: ['the answerer could not settle the question'],
      groundedStatements,
    };
  }
  let accepted = count > 0;
  if (count === 0) reasons.push('the answer makes no statement');
  for (const [name, min] of [
    ['grounding', limits.groundingMin],
    ['completeness', limits.completenessMin],
    ['specificity', limits.specificityMin],
    ['consistency', limits.consistencyMin],
  ] as const) {
    if (scores[name] >= min) continue;
    accepted = false;
    reasons.push(`${name} ${scores[name].toFixed(2)} is below ${min.toFixed(2)}`);
  }
  return { verdict: accepted ? 'ACCEPT' : 'REJECT', scores, reasons, groundedStatements };
}

/** Why a citation does not resolve, or null when it does. */
export function citationProblem(
  citation: Citation,
  sources: ReadonlyMap<string, Source>,
  ownLocations: ReadonlySet<string> = new Set(),
): string | null {
  const source = sources.get(citation.artifactId);
  if (!source) return `cites unknown source "${shorten(citation.artifactId, 60)}"`;
  if (ownLocations.has(`${citation.artifactId}\u0000${citation.path}`)) {
    return `cites the statement under question (${citation.path}) as its own evidence`;
  }
  if (citation.path.trim() === '$') return 'cites a whole source ("$") instead of a path inside it';
  const { found, value } = resolvePath(source.content, citation.path);
  if (!found) return `path ${shorten(citation.path, 80)} does not exist in ${source.type} ${source.id}`;
  const quote = normaliseQuote(citation.quote);
  const texts = textsAt(value).map(normaliseQuote);
  if (quote.length === 0) return 'has an empty quote';
  if (quote.length < MIN_QUOTE_CHARS && !texts.includes(quote))
    return `quote "${quote}" is too short to prove anything`;
  if (!texts.some((text) => text.includes(quote))) {
    return `quote "${shorten(citation.quote, 60)}" does not occur at ${source.id} ${citation.path}`;
  }
  return null;
}

function statementProblems(
  statement: AnswerStatement,
  sources: ReadonlyMap<string, Source>,
  own: ReadonlySet<string>,
): string[] {
  if (statement.citations.length === 0) return ['has no citation'];
  const problems = statement.citations
    .map((citation) => citationProblem(citation, sources, own))
    .filter((p): p is string => p !== null);
  if (problems.length > 0) return problems;
  const quoted = statement.citations.map((c) => c.quote).join(' ');
  const quotedNumbers = new Set(numbersIn(quoted));
  const missing = numbersIn(statement.object).filter((n) => !quotedNumbers.has(n));
  if (missing.length > 0) return [`states ${missing.join(', ')}, which its quotes do not contain`];
  const objectTerms = keyTerms(statement.object);
  const shared = sharedTerms(objectTerms, keyTerms(quoted));
  if (shared.length < Math.ceil(objectTerms.length / 2)) {
    return [`its object "${shorten(statement.object, 60)}" is not what its quotes say`];
  }
  return [];
}

function scoreCompleteness(question: Question, claims: readonly Claim[], answer: Answer): number {
  if (answer.statements.length === 0) return 0;
  const wanted = [...new Set([...keyTerms(question.text), ...claims.flatMap((c) => c.terms)])];
  if (wanted.length === 0) return 1;
  const said = keyTerms(
    [answer.answer, ...answer.statements.map((s) => `${s.subject} ${s.predicate} ${s.object}`)].join(' '),
  );
  return Math.min(1, sharedTerms(wanted, said).length / Math.min(COMPLETENESS_TERMS, wanted.length));
}

export function isSpecific(statement: AnswerStatement): boolean {
  const text = `${statement.subject} ${statement.predicate} ${statement.object}`;
  if (isVague(text)) return false;
  return (
    numbersIn(statement.object).length > 0 ||
    hasIdToken(text) ||
    hasNamedEntity(statement.object) ||
    keyTerms(statement.object).length >= 3
  );
}

function scoreSpecificity(statements: readonly AnswerStatement[]): number {
  if (statements.length === 0) return 0;
  return statements.filter(isSpecific).length / statements.length;
}

interface Fact {
  subject: string;
  predicate: string;
  object: string;
}

/** A stored frame, or a statement accepted earlier in the same clarify run (not stored yet). */
export interface KnownFact extends Fact {
  id: string;
  status?: FrameStatus;
  /** How a rejection names it; default `knowledge frame <id>`. */
  label?: string;
}

/** Two facts about the same subject and predicate contradict when their numbers or polarity differ. */
export function contradicts(a: Fact, b: Fact): boolean {
  if (normaliseText(a.subject) !== normaliseText(b.subject)) return false;
  if (normaliseText(a.predicate) !== normaliseText(b.predicate)) return false;
  if (normaliseText(a.object) === normaliseText(b.object)) return false;
  const numbersA = numbersIn(a.object);
  const numbersB = numbersIn(b.object);
  if (numbersA.length > 0 && numbersB.length > 0 && numbersA.join(' ') !== numbersB.join(' ')) return true;
  if (hasNegation(a.object) === hasNegation(b.object)) return false;
  const termsA = keyTerms(a.object);
  const termsB = keyTerms(b.object);
  return sharedTerms(termsA, termsB).length * 2 >= Math.min(termsA.length, termsB.length);
}

export function findContradictions(
  statements: readonly AnswerStatement[],
  frames: readonly KnownFact[],
): Array<{ statement: number; reason: string }> {
  const found: Array<{ statement: number; reason: string }> = [];
  statements.forEach((statement, index) => {
    const frame = frames.find((f) => f.status !== 'merged' && contradicts(statement, f));
    if (frame) {
      found.push({
        statement: index,
        reason: `statement ${index + 1} contradicts ${frame.label ?? `knowledge frame ${frame.id}`} ("${shorten(`${frame.subject} ${frame.predicate}: ${frame.object}`, 100)}")`,
      });
      return;
    }
    const other = statements.findIndex((s, j) => j !== index && contradicts(statement, s));
    if (other >= 0)
      found.push({ statement: index, reason: `statement ${index + 1} contradicts statement ${other + 1}` });
  });
  return found;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
