import { z } from 'zod';
import type { ArtifactView } from '../../core/agent.ts';
import { sha256 } from '../../core/ids.ts';
import { type CallContext, callWithinBudget, isSchemaFailure } from './model-calls.ts';
import { keyTerms, sharedTerms, shorten } from './text-terms.ts';
import type { AssessedClaim, Question } from './types.ts';

/**
 * The QuestionAgent asks about the draft's unsupported claims, the ones a later phase would build on
 * without anything backing them. A question may bundle up to three claims of one section (sibling
 * requirements, say) so that `maxQuestions` reaches further than one claim each.
 */

export const QUESTION_AGENT = { id: 'qav.question-agent', version: '1.0.0' } as const;

const MAX_CLAIMS_PER_QUESTION = 3;
/** Bounds the prompt: past this many claims the list is cut (most decision-changing first). */
const MAX_CLAIMS_IN_PROMPT = 60;
const MAX_OUTPUT_TOKENS = 1_500;

export const QuestionOutputSchema = z.object({
  questions: z.array(
    z.object({
      question: z.string().min(1),
      claimIds: z.array(z.string()),
      rationale: z.string(),
    }),
  ),
});
export type QuestionOutput = z.infer<typeof QuestionOutputSchema>;

/** What each builtin phase's questions are about, when the coordinator passes no theme. */
export const PHASE_THEMES: Readonly<Record<string, string>> = {
  intake: 'the problem, the target users and the hard constraints',
  ideation: 'which use cases and features deliver the value',
  critique: 'risks, weak assumptions and counter-evidence',
  prd: 'requirements, scope and acceptance criteria',
  bizdev: 'pricing, market and go-to-market viability',
  architecture: 'components, data, interfaces and technology choices',
  build: 'the implementation plan, modules and dependencies',
  security: 'threats, data protection and compliance',
  'story-loop': 'how each story is implemented and accepted',
  qa: 'test coverage, quality targets and known defects',
  aesthetic: 'user experience, accessibility and visual consistency',
  release: 'release readiness, packaging and rollout',
  beta: 'the beta cohort, its feedback and the success signals',
};

export interface QuestionRequest {
  runId: string;
  phase: string;
  theme: string;
  /** Unsupported claims only. */
  claims: readonly AssessedClaim[];
  artifacts: readonly ArtifactView[];
  maxQuestions: number;
}

const SYSTEM = [
  'You are the Question agent of IdeaMine, an autonomous pipeline that turns an idea into a release.',
  'You read a phase draft and ask the questions whose answers would change a decision in it.',
  'No human will answer: another agent answers from the artifacts, so ask what the artifacts could settle.',
  'Answer with JSON only.',
].join('\n');

export function questionPrompt(request: QuestionRequest): string {
  const types = new Map(request.artifacts.map((a) => [a.id, a.type]));
  const claims = prioritise(request.claims)
    .slice(0, MAX_CLAIMS_IN_PROMPT)
    .map((c) => `- [${c.id}] ${types.get(c.artifactId) ?? 'artifact'} ${c.path}: "${shorten(c.text, 300)}"`);
  return [
    `Phase: ${request.phase}. Theme: ${request.theme}.`,
    'These statements of the draft are not supported by any other artifact or knowledge frame:',
    ...claims,
    '',
    `Write at most ${request.maxQuestions} questions, most decision-changing first.`,
    `Each question names the claim ids it is about in "claimIds" (1 to ${MAX_CLAIMS_PER_QUESTION}, same section),`,
    'quotes enough of those claims to be understood alone, and says in "rationale" which decision it changes.',
  ].join('\n');
}

/** The offline model's questions: a deterministic function of the claims and the theme. */
export function synthesizeQuestions(request: QuestionRequest): QuestionOutput {
  const chunks = chunkBySection(prioritise(request.claims)).slice(0, request.maxQuestions);
  return {
    questions: chunks.map((chunk) => ({
      question: `Regarding ${request.theme}: what in the inputs backs ${chunk
        .map((c) => `"${shorten(c.text, 90)}"`)
        .join(', ')}, and what exactly does it commit to?`,
      claimIds: chunk.map((c) => c.id),
      rationale: `Later ${request.phase} decisions build on ${chunk.length === 1 ? 'this statement' : 'these statements'}, which nothing else in the run supports yet.`,
    })),
  };
}

/**
 * Keeps the usable questions: claim ids must name unsupported claims (a model that mangles ids gets
 * them matched back by shared terms), texts are deduplicated, at most `maxQuestions` remain.
 */
export function toQuestions(request: QuestionRequest, output: QuestionOutput): Question[] {
  const byId = new Map(request.claims.map((c) => [c.id, c]));
  const questions = new Map<string, Question>();
  for (const item of output.questions) {
    const text = item.question.trim();
    if (text.length === 0) continue;
    let claimIds = [...new Set(item.claimIds.filter((id) => byId.has(id)))];
    if (claimIds.length === 0) claimIds = matchClaims(text, request.claims);
    if (claimIds.length === 0) continue;
    // Not salted with the run id: the same draft asks the same question ids in every run (reproducible prompts).
    const id = `q-${sha256(`${request.phase}\u0000${text}`).slice(0, 12)}`;
    if (!questions.has(id)) {
      questions.set(id, {
        id,
        text,
        claimIds: claimIds.slice(0, MAX_CLAIMS_PER_QUESTION),
        rationale: item.rationale,
      });
    }
    if (questions.size >= request.maxQuestions) break;
  }
  return [...questions.values()];
}

/**
 * Asks the model; falls back to the deterministic questions when the budget refuses the call or the
 * model returns nothing usable, so unsupported claims are always tracked (as assumptions at worst).
 */
export async function generateQuestions(
  context: CallContext,
  request: QuestionRequest,
): Promise<{ questions: Question[]; source: 'model' | 'fallback' }> {
  if (request.claims.length === 0 || request.maxQuestions <= 0) return { questions: [], source: 'model' };
  let output: QuestionOutput | undefined;
  try {
    output = await callWithinBudget(context, {
      agent: QUESTION_AGENT,
      system: SYSTEM,
      prompt: questionPrompt(request),
      schema: QuestionOutputSchema,
      offline: () => synthesizeQuestions(request),
      temperature: 0,
      maxOutputTokens: MAX_OUTPUT_TOKENS,
    });
  } catch (error) {
    // An answer that failed the schema even after the provider's repair call is "nothing usable".
    if (!isSchemaFailure(error)) throw error;
  }
  const questions = output ? toQuestions(request, output) : [];
  if (questions.length > 0) return { questions, source: 'model' };
  return { questions: toQuestions(request, synthesizeQuestions(request)), source: 'fallback' };
}

/** Claims stating numbers first (targets and limits change decisions), then in document order. */
function prioritise(claims: readonly AssessedClaim[]): AssessedClaim[] {
  return [...claims].sort((a, b) => Number(b.numbers.length > 0) - Number(a.numbers.length > 0));
}

function chunkBySection(claims: readonly AssessedClaim[]): AssessedClaim[][] {
  const chunks: AssessedClaim[][] = [];
  const open = new Map<string, AssessedClaim[]>();
  for (const claim of claims) {
    const section = `${claim.artifactId}\u0000${/^\$(\.[A-Za-z_$][\w$]*|\[[^\]]*\])?/.exec(claim.path)?.[0] ?? '$'}`;
    const chunk = open.get(section);
    if (chunk && chunk.length < MAX_CLAIMS_PER_QUESTION) {
      chunk.push(claim);
      continue;
    }
    const fresh = [claim];
    open.set(section, fresh);
    chunks.push(fresh);
  }
  return chunks;
}

function matchClaims(text: string, claims: readonly AssessedClaim[]): string[] {
  const terms = keyTerms(text);
  return claims
    .map((claim) => ({ id: claim.id, shared: sharedTerms(claim.terms, terms).length }))
    .filter((m) => m.shared >= 2)
    .sort((a, b) => b.shared - a.shared)
    .slice(0, MAX_CLAIMS_PER_QUESTION)
    .map((m) => m.id);
}
