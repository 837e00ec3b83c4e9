import type { Citation } from '../../core/knowledge-frame.ts';

/** The shapes the Q/A/V triad and the Knowledge Refinery pass between each other. */

// Frames are stored by the knowledge-map repository, so their shapes live in core.
export {
  type Citation,
  FRAME_STATUSES,
  type FrameDraft,
  type FrameProvenance,
  type FrameStatus,
  type KnowledgeFrame,
} from '../../core/knowledge-frame.ts';

/** A statement found in a draft artifact: a string leaf with enough content words to assert something. */
export interface Claim {
  id: string;
  artifactId: string;
  path: string;
  text: string;
  terms: string[];
  numbers: string[];
}

/** A citable piece of text from an artifact or a frame, with the labels fission turns into a frame. */
export interface Passage {
  sourceId: string;
  sourceType: string;
  path: string;
  text: string;
  terms: string[];
  /** What the passage is about, e.g. `requirement R3` or a frame's subject. */
  subject: string;
  /** Which property it states, e.g. `statement`, `success metric`. */
  predicate: string;
}

/** Something a citation can resolve against: its id and its JSON content. */
export interface Source {
  id: string;
  type: string;
  content: unknown;
}

export interface Support {
  sourceId: string;
  path: string;
  shared: string[];
}

export interface AssessedClaim extends Claim {
  /** The passage from another source that supports it, or null when nothing does. */
  support: Support | null;
}

export interface Question {
  id: string;
  text: string;
  claimIds: string[];
  rationale: string;
}

export interface AnswerStatement {
  subject: string;
  predicate: string;
  object: string;
  citations: Citation[];
}

export interface Answer {
  status: 'answered' | 'unknown';
  answer: string;
  statements: AnswerStatement[];
  /** Filled when the answer is unknown: what to assume instead and how to de-risk it. */
  assumption: { statement: string; rationale: string; mitigation: string };
}

export type Verdict = 'ACCEPT' | 'REJECT' | 'UNKNOWN';

export interface Scores {
  grounding: number;
  completeness: number;
  specificity: number;
  consistency: number;
}

export interface Validation {
  verdict: Verdict;
  scores: Scores;
  /** Why it was rejected (or what was weak), fed back to the answerer on regeneration. */
  reasons: string[];
  /** Indexes into `answer.statements` whose citations all resolve and support them. */
  groundedStatements: number[];
}
