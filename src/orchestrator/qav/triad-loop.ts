import type { ArtifactView } from '../../core/agent.ts';
import type { Database } from '../../storage/database.ts';
import { type AnswerRequest, answerQuestion, fallbackAssumption, retrievePassages } from './answer-agent.ts';
import type { NewAssumption } from './assumptions.ts';
import { framePassages, sourcesOf } from './claims.ts';
import { searchFrames } from './knowledge-map.ts';
import { type CallContext, isSchemaFailure } from './model-calls.ts';
import { type KnownFact, type ValidationThresholds, validateAnswer } from './question-validator.ts';
import { claimCovered } from './refinery.ts';
import type {
  Answer,
  AssessedClaim,
  FrameDraft,
  KnowledgeFrame,
  Passage,
  Question,
  Validation,
  Verdict,
} from './types.ts';

/**
 * One question through the triad: retrieve sources (artifact passages plus frames found by
 * full-text search), answer, validate, and on REJECT answer again with the validator's reasons, at
 * most `1 + maxRounds` times. The loop is bounded by rounds and by the budget, never by success.
 */

/** Frames from full-text search shown to the answerer per question. */
const FRAMES_PER_QUESTION = 5;
const MAX_REASONS_FED_BACK = 8;

export interface Outcome {
  question: Question;
  verdict: Verdict;
  answer: Answer | undefined;
  validation: Validation | undefined;
  /** Answers generated for the question (0 when the budget ran out first). */
  rounds: number;
  /** Set when the question ends without an accepted answer. */
  assumption: NewAssumption | undefined;
}

export interface Session {
  db: Database;
  runId: string;
  phase: string;
  artifacts: readonly ArtifactView[];
  context: CallContext;
  theme: string;
  maxRounds: number;
  thresholds: Partial<ValidationThresholds>;
  claimsById: Map<string, AssessedClaim>;
  passages: Passage[];
  types: Map<string, string>;
  /** Stored frames plus statements accepted earlier in this run, for the consistency check. */
  known: KnownFact[];
}

/** Answers one question, regenerating rejected answers up to the bound; what is left becomes an assumption. */
export async function settle(session: Session, question: Question): Promise<Outcome> {
  const { context } = session;
  const claims = question.claimIds.flatMap((id) => session.claimsById.get(id) ?? []);
  const request = { phase: session.phase, theme: session.theme, question, claims, types: session.types };
  if (context.exhausted) return unresolved(question, request, 'the budget ran out before it was answered');
  const frames = await searchFrames(
    session.db,
    session.runId,
    [question.text, ...claims.map((c) => c.text)].join(' '),
    FRAMES_PER_QUESTION,
    { match: 'any', statuses: ['active', 'conflict'] },
  );
  const passages = retrievePassages(question, claims, [...session.passages, ...framePassages(frames)]);
  const { last, rounds } = await answerLoop(session, { ...request, passages, rejections: [] }, frames);
  if (!last) {
    const why = context.exhausted ? 'the budget ran out' : 'no answer matched the schema';
    return { ...unresolved(question, request, why, rounds), verdict: rounds > 0 ? 'REJECT' : 'UNKNOWN' };
  }
  const { answer, validation } = last;
  if (validation.verdict === 'ACCEPT') {
    rememberAccepted(session, question, answer, validation);
    return { question, verdict: 'ACCEPT', answer, validation, rounds, assumption: undefined };
  }
  const unknown = validation.verdict === 'UNKNOWN';
  const why = unknown
    ? 'the sources do not settle it'
    : `${rounds} answer(s) rejected, the last because ${validation.reasons[0] ?? 'it was rejected'}`;
  const fallback = fallbackAssumption(request, why);
  const proposed = unknown ? answer.assumption : undefined;
  return {
    question,
    verdict: validation.verdict,
    answer,
    validation,
    rounds,
    assumption: {
      statement: proposed?.statement.trim() || fallback.statement,
      rationale: proposed?.rationale.trim() || fallback.rationale,
      mitigation: proposed?.mitigation.trim() || fallback.mitigation,
    },
  };
}

/** At most 1 + maxRounds answers; stops at the first ACCEPT or UNKNOWN, or when the budget refuses. */
async function answerLoop(
  session: Session,
  request: AnswerRequest,
  frames: readonly KnowledgeFrame[],
): Promise<{ last: { answer: Answer; validation: Validation } | undefined; rounds: number }> {
  const sources = sourcesOf(session.artifacts, frames);
  const { thresholds } = session;
  let rejections: string[] = [];
  let last: { answer: Answer; validation: Validation } | undefined;
  let rounds = 0;
  while (rounds <= session.maxRounds) {
    const answer = await answerOrSchemaFailure(session.context, { ...request, rejections });
    if (answer === 'budget') break;
    rounds += 1;
    let validation: Validation;
    if (answer === 'schema') {
      validation = schemaRejection();
    } else {
      const { question, claims } = request;
      validation = validateAnswer({ question, claims, answer, sources, frames: session.known, thresholds });
      last = { answer, validation };
    }
    if (validation.verdict !== 'REJECT') break;
    rejections = validation.reasons.slice(0, MAX_REASONS_FED_BACK);
  }
  return { last, rounds };
}

async function answerOrSchemaFailure(
  context: CallContext,
  request: AnswerRequest,
): Promise<Answer | 'budget' | 'schema'> {
  try {
    return (await answerQuestion(context, request)) ?? 'budget';
  } catch (error) {
    if (isSchemaFailure(error)) return 'schema';
    throw error;
  }
}

function schemaRejection(): Validation {
  return {
    verdict: 'REJECT',
    scores: { grounding: 0, completeness: 0, specificity: 0, consistency: 1 },
    reasons: ['the answer did not match the JSON schema'],
    groundedStatements: [],
  };
}

/** Later answers in the same run must not contradict what was just accepted. */
function rememberAccepted(
  session: Session,
  question: Question,
  answer: Answer,
  validation: Validation,
): void {
  for (const index of validation.groundedStatements) {
    const statement = answer.statements[index];
    if (!statement) continue;
    session.known.push({
      id: `${question.id}#${index + 1}`,
      label: `the accepted answer to ${question.id}`,
      subject: statement.subject,
      predicate: statement.predicate,
      object: statement.object,
    });
  }
}

/** Claims bundled into an accepted question that its answer did not cover still need an assumption. */
export function unaddressedClaims(
  session: Session,
  outcomes: readonly Outcome[],
  drafts: readonly FrameDraft[],
): Array<{ claimId: string; assumption: NewAssumption }> {
  const { phase } = session;
  return outcomes
    .filter((o) => o.verdict === 'ACCEPT')
    .flatMap((o) =>
      o.question.claimIds
        .flatMap((id) => session.claimsById.get(id) ?? [])
        .filter((claim) => !claimCovered(claim, drafts))
        .map((claim) => ({
          claimId: claim.id,
          assumption: fallbackAssumption(
            { phase, theme: session.theme, question: o.question, claims: [claim], types: session.types },
            `the accepted answer to ${o.question.id} does not address this statement`,
          ),
        })),
    );
}

function unresolved(
  question: Question,
  request: Parameters<typeof fallbackAssumption>[0],
  why: string,
  rounds = 0,
): Outcome {
  return {
    question,
    verdict: 'UNKNOWN',
    answer: undefined,
    validation: undefined,
    rounds,
    assumption: fallbackAssumption(request, why),
  };
}
