import type { ArtifactView } from '../../core/agent.ts';
import { invalidInput } from '../../core/errors.ts';
import type { Model } from '../../llm/model.ts';
import type { Database } from '../../storage/database.ts';
import { EVENTS_CHANNEL } from '../../storage/event-store.ts';
import { recordAssumptions } from './assumptions.ts';
import { artifactPassages, assessSupport, extractClaims, framePassages } from './claims.ts';
import { searchFrames } from './knowledge-map.ts';
import { type Budget, emptyUsage } from './model-calls.ts';
import { generateQuestions, PHASE_THEMES } from './question-agent.ts';
import type { ValidationThresholds } from './question-validator.ts';
import { fission, fissionCoverage, type RefineResult, refine } from './refinery.ts';
import { type Outcome, type Session, settle, unaddressedClaims } from './triad-loop.ts';
import type { AssessedClaim, Citation, Scores, Verdict } from './types.ts';

/**
 * The Clarify stage of a phase: the Q/A/V triad over the phase's draft, then the Knowledge Refinery.
 *
 *   claims ─► unsupported? ─► QuestionAgent ─► per question: AnswerAgent ⇄ QuestionValidator
 *                                              (REJECT → regenerate with the reasons, ≤ maxRounds)
 *   ACCEPT ─► fission ─► fusion ─► kmap_frames + kmap.delta.created + kmap.fusion.complete
 *   UNKNOWN, still REJECTED, or out of budget ─► assumption + assumption.created
 *
 * Every model call happens before the one transaction that writes the results (never hold a
 * transaction across a model call). Nobody is ever asked anything: `userPrompts` is always 0.
 */

export interface ClarifyInput {
  db: Database;
  model: Model;
  runId: string;
  phase: string;
  /** The phase's draft artifacts: their claims are questioned, and they can be cited. */
  artifacts: ArtifactView[];
  /**
   * Upstream artifacts (e.g. the IdeaSpec for a PRD draft): they can support claims and be cited,
   * but their own statements are not questioned again.
   */
  references?: ArtifactView[];
  /** What the questions are about; defaults to the builtin phase's theme. */
  theme?: string;
  thresholds: { fissionMinCoverage: number; fusionMinConsensus: number; groundingMin?: number };
  /** Regenerations per question after a rejection (default 2, so at most 3 answers). */
  maxRounds?: number;
  /** Default 8. */
  maxQuestions?: number;
  /** Reserved before every model call; BUDGET_EXCEEDED stops the triad cleanly. */
  budget?: Budget;
  /** Overrides of the validator's other thresholds (completeness, specificity, consistency). */
  validation?: Partial<Omit<ValidationThresholds, 'groundingMin'>>;
}

export interface ClarifyBinding {
  questionId: string;
  question: string;
  answer: string;
  verdict: Verdict;
  scores: Scores;
  citations: Citation[];
  /** How many answers were generated for this question (0 when the budget ran out first). */
  rounds?: number;
  /** The validator's reasons for the final verdict. */
  reasons?: string[];
}

export interface ClarifyResult {
  questions: number;
  accepted: number;
  rejected: number;
  unknown: number;
  /** Mean grounding of the accepted answers, 0 when none was accepted. */
  grounding: number;
  coverage: number;
  /** The stricter share: claims with evidence only (assumptions not counted). */
  groundedCoverage: number;
  consensus: number;
  conflicts: number;
  frameIds: string[];
  assumptionIds: string[];
  bindings: ClarifyBinding[];
  usage: { inputTokens: number; outputTokens: number; costUsd: number; calls: number };
  userPrompts: 0;
  /** Statements found in the draft, and how many of them nothing else supported. */
  claims?: number;
  unsupportedClaims?: number;
  /** Frames fused into an equal older frame by this delta. */
  merged?: number;
  deltaId?: string | null;
  /** `fallback`: the model gave no usable question (or no budget), so deterministic ones were asked. */
  questionSource?: 'model' | 'fallback';
  /** True when the budget refused a reservation and the remaining questions became assumptions. */
  budgetExhausted?: boolean;
  thresholdsMet?: { coverage: boolean; consensus: boolean };
}

const DEFAULT_MAX_ROUNDS = 2;
const DEFAULT_MAX_QUESTIONS = 8;
/** Stored frames read for the support and consistency checks; a run's map stays far below this. */
const MAX_STORED_FRAMES = 1_000;

export async function clarify(input: ClarifyInput): Promise<ClarifyResult> {
  const { session, claims, unsupported, maxQuestions } = await openSession(input);
  const { runId, phase, theme, context } = session;
  const artifacts = input.artifacts;
  const asked = await generateQuestions(context, {
    runId,
    phase,
    theme,
    claims: unsupported,
    artifacts,
    maxQuestions,
  });
  const outcomes: Outcome[] = [];
  // Sequential on purpose: each accepted answer joins `known`, and the budget is spent in order.
  for (const question of asked.questions) outcomes.push(await settle(session, question));
  const written = await persist(session, outcomes, claims);
  const accepted = outcomes.filter((o) => o.verdict === 'ACCEPT');
  const { refined, coverage, groundedCoverage } = written;
  return {
    questions: outcomes.length,
    accepted: accepted.length,
    rejected: outcomes.filter((o) => o.verdict === 'REJECT').length,
    unknown: outcomes.filter((o) => o.verdict === 'UNKNOWN').length,
    grounding: mean(accepted.map((o) => o.validation?.scores.grounding ?? 0)),
    coverage,
    groundedCoverage,
    consensus: refined.consensus,
    conflicts: refined.conflicts,
    frameIds: refined.frameIds,
    assumptionIds: written.assumptionIds,
    bindings: outcomes.map(toBinding),
    usage: { ...context.usage, costUsd: Math.round(context.usage.costUsd * 1e6) / 1e6 },
    userPrompts: 0,
    claims: claims.length,
    unsupportedClaims: unsupported.length,
    merged: refined.merged,
    deltaId: refined.deltaId,
    questionSource: asked.source,
    budgetExhausted: context.exhausted,
    thresholdsMet: {
      coverage: coverage >= input.thresholds.fissionMinCoverage,
      consensus: refined.consensus >= input.thresholds.fusionMinConsensus,
    },
  };
}

/** Checks the input, reads the stored frames and finds the draft's unsupported claims. */
async function openSession(input: ClarifyInput): Promise<{
  session: Session;
  claims: AssessedClaim[];
  unsupported: AssessedClaim[];
  maxQuestions: number;
}> {
  const { maxRounds, maxQuestions } = checkInput(input);
  const { db, runId, phase, artifacts } = input;
  const stored = await searchFrames(db, runId, undefined, MAX_STORED_FRAMES, {
    statuses: ['active', 'conflict'],
  });
  const readable = [...artifacts, ...(input.references ?? [])];
  const passages = artifactPassages(readable);
  const claims = assessSupport(extractClaims(artifacts), [...passages, ...framePassages(stored)]);
  const unsupported = claims.filter((c) => !c.support);
  const session: Session = {
    db,
    runId,
    phase,
    artifacts: readable,
    context: { model: input.model, budget: input.budget, usage: emptyUsage(), exhausted: false },
    theme: input.theme ?? PHASE_THEMES[phase] ?? `the ${phase} phase`,
    maxRounds,
    thresholds: {
      ...input.validation,
      ...(input.thresholds.groundingMin === undefined ? {} : { groundingMin: input.thresholds.groundingMin }),
    },
    claimsById: new Map(unsupported.map((c) => [c.id, c])),
    passages,
    types: new Map(readable.map((a) => [a.id, a.type])),
    known: [...stored],
  };
  return { session, claims, unsupported, maxQuestions };
}

/** Fission, then one transaction: assumptions, frames, fusion and their events commit together. */
async function persist(
  session: Session,
  outcomes: readonly Outcome[],
  claims: readonly AssessedClaim[],
): Promise<{ assumptionIds: string[]; refined: RefineResult; coverage: number; groundedCoverage: number }> {
  const { db, runId, phase } = session;
  const model = session.context.model.id;
  const drafts = fission(
    outcomes.flatMap((o) =>
      o.answer && o.validation
        ? [{ question: o.question, answer: o.answer, validation: o.validation, model }]
        : [],
    ),
    runId,
    phase,
  );
  const unaddressed = unaddressedClaims(session, outcomes, drafts);
  const assumed = new Set([
    ...outcomes.flatMap((o) => (o.assumption ? o.question.claimIds : [])),
    ...unaddressed.map((u) => u.claimId),
  ]);
  const { coverage, groundedCoverage } = fissionCoverage(claims, drafts, assumed);
  const assumptions = [
    ...outcomes.flatMap((o) => (o.assumption ? [o.assumption] : [])),
    ...unaddressed.map((u) => u.assumption),
  ];
  const channel = db.channel(EVENTS_CHANNEL);
  return db.transaction(async (tx) => {
    const assumptionIds = await recordAssumptions(tx, channel, { runId, phase }, assumptions);
    const refined = await refine(tx, channel, { runId, phase, drafts, coverage });
    return { assumptionIds, refined, coverage, groundedCoverage };
  });
}

function toBinding(outcome: Outcome): ClarifyBinding {
  const { answer, validation } = outcome;
  return {
    questionId: outcome.question.id,
    question: outcome.question.text,
    answer: answer
      ? answer.answer || answer.statements.map((s) => `${s.subject} ${s.predicate}: ${s.object}`).join('; ')
      : '',
    verdict: outcome.verdict,
    scores: validation?.scores ?? { grounding: 0, completeness: 0, specificity: 0, consistency: 1 },
    citations: answer?.statements.flatMap((s) => s.citations) ?? [],
    rounds: outcome.rounds,
    reasons: validation?.reasons ?? (outcome.assumption ? [outcome.assumption.rationale] : []),
  };
}

function checkInput(input: ClarifyInput): { maxRounds: number; maxQuestions: number } {
  const maxRounds = input.maxRounds ?? DEFAULT_MAX_ROUNDS;
  const maxQuestions = input.maxQuestions ?? DEFAULT_MAX_QUESTIONS;
  if (!Number.isInteger(maxRounds) || maxRounds < 0)
    throw invalidInput(`maxRounds must be an integer ≥ 0; got ${maxRounds}`);
  if (!Number.isInteger(maxQuestions) || maxQuestions < 0) {
    throw invalidInput(`maxQuestions must be an integer ≥ 0; got ${maxQuestions}`);
  }
  const { fissionMinCoverage, fusionMinConsensus, groundingMin } = input.thresholds;
  for (const [name, value] of Object.entries({ fissionMinCoverage, fusionMinConsensus, groundingMin })) {
    if (value !== undefined && !(value >= 0 && value <= 1))
      throw invalidInput(`thresholds.${name} must be in [0, 1]; got ${value}`);
  }
  if (input.phase.trim() === '') throw invalidInput('phase must not be empty');
  return { maxRounds, maxQuestions };
}

function mean(values: readonly number[]): number {
  return values.length === 0
    ? 0
    : Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 1000) / 1000;
}
