/** The 13 phases of a run, in their canonical order. Dependencies live in config/phases/*.yaml. */
export const PHASE_NAMES = [
  'intake',
  'ideation',
  'critique',
  'prd',
  'bizdev',
  'architecture',
  'build',
  'security',
  'story-loop',
  'qa',
  'aesthetic',
  'release',
  'beta',
] as const;
export type BuiltinPhaseName = (typeof PHASE_NAMES)[number];

/** The six stages of a PhaseCoordinator, each a durable step. */
export const PHASE_STAGES = [
  'plan',
  'dispatch',
  'apply',
  'measure',
  'guard',
  'heal',
  'clarify',
  'handoff',
] as const;
export type PhaseStage = (typeof PHASE_STAGES)[number];
