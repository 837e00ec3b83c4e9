import type { AgentInput, Idea } from '../../core/agent.ts';
import { DEFECT_MARKER } from './text.ts';

/**
 * Deliberate defects for tests (README.md, "Defect markers"). `[defect:<metric>]` in the idea's
 * description makes the agent responsible for that metric break its rubric until a fix hint names the
 * metric; `[defect-persistent:<metric>]` breaks it on every attempt.
 */
export interface DefectMarkers {
  transient: ReadonlySet<string>;
  persistent: ReadonlySet<string>;
}

export function defectMarkers(idea: Idea): DefectMarkers {
  const transient = new Set<string>();
  const persistent = new Set<string>();
  for (const match of `${idea.title} ${idea.description}`.matchAll(DEFECT_MARKER)) {
    const metric = match[2];
    if (metric === undefined) continue;
    (match[1] === undefined ? transient : persistent).add(metric);
  }
  return { transient, persistent };
}

const RUBRIC_SUFFIX = '(?:_max|_min|_required|_range)?';

/** True when a fix hint names the metric, bare or as a rubric (`personas_count_range`). */
export function hintMentions(hints: readonly string[], metric: string): boolean {
  const pattern = new RegExp(`(?:^|[^a-z0-9_])${metric}${RUBRIC_SUFFIX}(?:[^a-z0-9_]|$)`);
  return hints.some((hint) => pattern.test(hint.toLowerCase()));
}

/** Whether this attempt should exhibit the defect for `metric`. */
export function defectActive(input: AgentInput, metric: string): boolean {
  const markers = defectMarkers(input.idea);
  if (markers.persistent.has(metric)) return true;
  return markers.transient.has(metric) && !hintMentions(input.hints, metric);
}

/** What an agent does about one metric on this attempt. */
export interface MetricMode {
  /** Produce output that violates the rubric (a defect marker is active). */
  broken: boolean;
  /** A fix hint names the metric: produce the most conservative compliant output. */
  fixing: boolean;
}

export function metricMode(input: AgentInput, metric: string): MetricMode {
  const broken = defectActive(input, metric);
  return { broken, fixing: !broken && hintMentions(input.hints, metric) };
}
