import { z } from 'zod';
import { type CallContext, callWithinBudget } from './model-calls.ts';
import { keyTerms, sharedTerms, shorten } from './text-terms.ts';
import type { Answer, AnswerStatement, AssessedClaim, Passage, Question } from './types.ts';

/**
 * The AnswerAgent answers one question from what the run already knows: the phase's artifacts and
 * the knowledge map. Every statement it makes is a (subject, predicate, object) fact with citations
 * that the validator checks by code; when the sources do not settle the question it must say
 * "unknown" and propose an explicit assumption instead of guessing.
 */

export const ANSWER_AGENT = { id: 'qav.answer-agent', version: '1.0.0' } as const;

const MAX_OUTPUT_TOKENS = 1_200;
/** Sources shown per question: enough to answer, few enough to keep the prompt near 2k tokens. */
export const MAX_PASSAGES = 10;
/** A passage is relevant when it shares this many key terms with the question or its claims. */
const MIN_SHARED_TERMS = 2;
/** Longer values are quoted up to their first sentence end inside this many characters. */
const MAX_QUOTE_CHARS = 240;

const CitationSchema = z.object({ artifactId: z.string(), path: z.string(), quote: z.string() });

export const AnswerOutputSchema = z.object({
  status: z.enum(['answered', 'unknown']),
  answer: z.string(),
  statements: z.array(
    z.object({
      subject: z.string().min(1),
      predicate: z.string().min(1),
      object: z.string().min(1),
      citations: z.array(CitationSchema),
    }),
  ),
  assumption: z.object({ statement: z.string(), rationale: z.string(), mitigation: z.string() }),
});

export interface AnswerRequest {
  phase: string;
  theme: string;
  question: Question;
  claims: readonly AssessedClaim[];
  /** Ranked candidate sources (artifact passages and frames), see `retrievePassages`. */
  passages: readonly Passage[];
  /** Artifact id → type, to label the claims. */
  types: ReadonlyMap<string, string>;
  /** Why earlier answers to this question were rejected; empty on the first round. */
  rejections: readonly string[];
}

const SYSTEM = [
  'You are the Answer agent of IdeaMine, an autonomous pipeline that turns an idea into a release.',
  'You answer a question only from the sources given, and cite them exactly; code checks every citation.',
  'No human will answer: when the sources do not settle the question, say "unknown" and state an assumption.',
  'Answer with JSON only.',
].join('\n');

/** The passages worth showing: most shared key terms first, never the claims' own locations. */
export function retrievePassages(
  question: Question,
  claims: readonly AssessedClaim[],
  passages: readonly Passage[],
  limit = MAX_PASSAGES,
): Passage[] {
  const own = new Set(claims.map((c) => `${c.artifactId}\u0000${c.path}`));
  const wanted = [...new Set([...keyTerms(question.text), ...claims.flatMap((c) => c.terms)])];
  return passages
    .filter((p) => !own.has(`${p.sourceId}\u0000${p.path}`))
    .map((passage, order) => ({ passage, order, shared: sharedTerms(wanted, passage.terms).length }))
    .filter((r) => r.shared >= MIN_SHARED_TERMS)
    .sort((a, b) => b.shared - a.shared || a.order - b.order)
    .slice(0, limit)
    .map((r) => r.passage);
}

export function answerPrompt(request: AnswerRequest): string {
  const lines = [
    `Phase: ${request.phase}. Theme: ${request.theme}.`,
    `Question [${request.question.id}]: ${request.question.text}`,
    'It is about these draft statements (they cannot be cited as evidence for themselves):',
    ...request.claims.map(
      (c) =>
        `- ${request.types.get(c.artifactId) ?? 'artifact'} ${c.artifactId} ${c.path}: "${shorten(c.text, 300)}"`,
    ),
    'Sources you may cite (artifactId, type, path, text):',
    ...(request.passages.length === 0
      ? ['- (none relevant)']
      : request.passages.map(
          (p) => `- [${p.sourceId}] ${p.sourceType} ${p.path}: "${shorten(p.text, 400)}"`,
        )),
    '',
    'Rules:',
    '- Each statement is one fact (subject, predicate, object) with citations {artifactId, path, quote}.',
    '- A quote is copied verbatim from the text at that path: at least 8 characters, or the whole value.',
    '- Numbers in a statement must appear in its quotes.',
    '- If the sources do not answer the question, set status "unknown", leave statements empty, and fill',
    '  "assumption" with an explicit, testable assumption, why it is reasonable, and how to de-risk it.',
  ];
  if (request.rejections.length > 0) {
    lines.push('', 'Your previous answer was rejected because:', ...request.rejections.map((r) => `- ${r}`));
  }
  return lines.join('\n');
}

/**
 * The offline model's answer: for each claim, the most related passage becomes a statement quoting
 * it; with no related passage at all the answer is unknown and proposes an assumption.
 */
export function synthesizeAnswer(request: AnswerRequest): Answer {
  const statements: AnswerStatement[] = [];
  const used = new Set<Passage>();
  for (const claim of request.claims) {
    // Relative to the claim's size: a long claim needs more in common than two generic words.
    const needed = Math.max(MIN_SHARED_TERMS, Math.ceil(claim.terms.length / 3));
    const best = request.passages
      .filter((p) => !used.has(p))
      .map((p) => ({ p, shared: sharedTerms(claim.terms, p.terms).length }))
      .filter((r) => r.shared >= needed)
      .sort((a, b) => b.shared - a.shared)[0];
    if (!best) continue;
    used.add(best.p);
    const quote = quoteOf(best.p.text);
    statements.push({
      subject: best.p.subject,
      predicate: best.p.predicate,
      object: quote,
      citations: [{ artifactId: best.p.sourceId, path: best.p.path, quote }],
    });
  }
  if (statements.length === 0) {
    return {
      status: 'unknown',
      answer: '',
      statements: [],
      assumption: fallbackAssumption(request, 'no source relates'),
    };
  }
  return {
    status: 'answered',
    answer: statements.map((s) => `${s.subject} ${s.predicate}: ${s.object}`).join('; '),
    statements,
    assumption: { statement: '', rationale: '', mitigation: '' },
  };
}

/** Returns undefined when the budget refused the call. */
export async function answerQuestion(
  context: CallContext,
  request: AnswerRequest,
): Promise<Answer | undefined> {
  return callWithinBudget(context, {
    agent: ANSWER_AGENT,
    system: SYSTEM,
    prompt: answerPrompt(request),
    schema: AnswerOutputSchema,
    offline: () => synthesizeAnswer(request),
    // A little variety on regeneration, so a real model does not repeat the rejected answer.
    temperature: request.rejections.length === 0 ? 0 : 0.4,
    maxOutputTokens: MAX_OUTPUT_TOKENS,
  });
}

/** The assumption recorded when a question ends without an accepted answer; written by code. */
export function fallbackAssumption(
  request: Pick<AnswerRequest, 'phase' | 'theme' | 'question' | 'claims' | 'types'>,
  why: string,
): Answer['assumption'] {
  const claims = request.claims.map((c) => `"${shorten(c.text, 160)}"`).join('; ');
  const where = request.claims
    .map((c) => `${request.types.get(c.artifactId) ?? 'artifact'} ${c.path}`)
    .join(', ');
  return {
    statement: `Assumed to hold without supporting evidence: ${claims || shorten(request.question.text, 200)}`,
    rationale: `The Q/A/V triad could not ground an answer (${why}) to: ${shorten(request.question.text, 240)}`,
    mitigation: `Confirm or revise ${where || 'the statement'} with evidence on ${request.theme} before the ${request.phase} gate relies on it.`,
  };
}

function quoteOf(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length <= MAX_QUOTE_CHARS) return trimmed;
  const head = trimmed.slice(0, MAX_QUOTE_CHARS);
  const sentenceEnd = head.search(/[.!?](\s|$)(?![\s\S]*[.!?](\s|$))/);
  if (sentenceEnd >= 40) return head.slice(0, sentenceEnd + 1);
  return head.slice(0, head.lastIndexOf(' ') > 40 ? head.lastIndexOf(' ') : MAX_QUOTE_CHARS).trimEnd();
}
