/**
 * Knowledge frames: the atomic (subject, predicate, object) statements the Knowledge Refinery keeps
 * per run. Defined here, below storage and orchestrator, because the refinery builds them and the
 * knowledge-map repository stores and returns them.
 */

export interface Citation {
  /** An input artifact's id, or a knowledge frame's id (frames are cited like artifacts). */
  artifactId: string;
  /** JSONPath into that source's content, e.g. `$.requirements[2].statement`. */
  path: string;
  /** Text copied verbatim from the value at `path`. */
  quote: string;
}

export const FRAME_STATUSES = ['active', 'merged', 'conflict'] as const;
export type FrameStatus = (typeof FRAME_STATUSES)[number];

export interface FrameProvenance {
  runId: string;
  phase: string;
  questionId: string;
  question: string;
  claimIds: string[];
  citations: Citation[];
  /** `<provider>:<model>` that wrote the answer. */
  model: string;
}

export interface FrameDraft {
  subject: string;
  predicate: string;
  object: string;
  confidence: number;
  provenance: FrameProvenance;
}

export interface KnowledgeFrame extends FrameDraft {
  id: string;
  runId: string;
  phase: string;
  status: FrameStatus;
  mergedInto: string | null;
  createdAt: Date;
  /** Full-text rank when the frame came from a search with text. */
  rank?: number;
}
