import type { ArtifactView } from '../../core/agent.ts';

/**
 * A guard computes a phase's rubric metrics from stored artifacts, in code: a model never grades its
 * own output (architecture.md §1). It receives the phase's artifacts and the upstream artifacts the
 * phase read (coverage metrics compare against upstream: goals, stories, components), oldest first.
 * Of each artifact type a guard reads the latest valid one, so a re-run after a fix replaces the
 * earlier output; only the story loop's fan-in types (RefinedStories, AcceptanceReport) are merged
 * across artifacts, a later entry for the same story or criterion winning. The YAML rubric names a
 * metric with a suffix: `<metric>_max`, `_min`, `_required`, `_range`.
 */
export type MetricValue = number | boolean;

export interface GuardFinding {
  severity: 'error' | 'warning' | 'info';
  message: string;
  artifactId?: string;
}

export interface GuardReport {
  guardId: string;
  metrics: Record<string, MetricValue>;
  findings: GuardFinding[];
}

export interface Guard {
  readonly id: string;
  readonly phase: string;
  readonly metrics: readonly string[];
  evaluate(artifacts: readonly ArtifactView[]): GuardReport;
}

export interface GuardSpec {
  phase: string;
  metrics: readonly string[];
  measure(artifacts: readonly ArtifactView[], findings: GuardFinding[]): Record<string, MetricValue>;
}

export function defineGuard(spec: GuardSpec): Guard {
  const id = `${spec.phase}.guard`;
  return {
    id,
    phase: spec.phase,
    metrics: spec.metrics,
    evaluate(artifacts) {
      const findings: GuardFinding[] = [];
      const metrics = spec.measure(artifacts, findings);
      for (const name of spec.metrics) {
        if (!(name in metrics)) throw new Error(`guard ${id} did not compute metric "${name}"`);
      }
      return { guardId: id, metrics, findings };
    },
  };
}

/**
 * What a count metric gated with a tolerance above zero (`high_cves_max: 5`) reports when the artifact
 * it counts in is missing: more than any sensible tolerance, so the gate fails closed (a missing count
 * of 1 would pass it). The `error` finding names the missing artifact.
 */
export const NO_EVIDENCE_COUNT = 9_999;

/** n / d rounded to 4 decimals; 0 when there is nothing to measure against (the finding says why). */
export function ratio(n: number, d: number): number {
  return d <= 0 ? 0 : Math.round((n / d) * 10_000) / 10_000;
}

/** Distinct non-blank names, compared case- and whitespace-insensitively: a repeated entry counts once. */
export function distinctCount(names: readonly string[]): number {
  return new Set(names.map(normalized).filter((n) => n !== '')).size;
}

/** Lower case, single spaces, trimmed: for comparing names and statements written by different agents. */
export function normalized(text: string): string {
  return text.trim().toLowerCase().replace(/\s+/g, ' ');
}

/** The id of the latest artifact of a type, for findings that point at it. */
export function idOf(artifacts: readonly ArtifactView[], type: string): string | undefined {
  for (let i = artifacts.length - 1; i >= 0; i--) if (artifacts[i]?.type === type) return artifacts[i]?.id;
  return undefined;
}

export function missing(findings: GuardFinding[], type: string, why: string): void {
  findings.push({ severity: 'error', message: `no valid ${type} artifact among the inputs: ${why}` });
}
