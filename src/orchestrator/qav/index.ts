/**
 * The Q/A/V triad and the Knowledge Refinery: what the PhaseCoordinator's Clarify stage calls, and
 * the Knowledge Map / assumptions queries behind `ideamine kmap` and `ideamine assumptions`.
 */
export { type ClarifyBinding, type ClarifyInput, type ClarifyResult, clarify } from './clarify.ts';
export {
  type AssumptionRecord,
  getFrames,
  type KnowledgeConflict,
  listAssumptions,
  listConflicts,
  type SearchFramesOptions,
  searchFrames,
  setAssumptionStatus,
} from './knowledge-map.ts';
export type { Budget } from './model-calls.ts';
export { PHASE_THEMES } from './question-agent.ts';
export type { ValidationThresholds } from './question-validator.ts';
export type { Citation, FrameProvenance, FrameStatus, KnowledgeFrame, Scores, Verdict } from './types.ts';
