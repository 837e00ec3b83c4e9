import { parseIsoDurationMs } from '../core/duration.ts';
import { type AgentAssignment, type PhaseSettings, PhaseSettingsSchema } from '../core/schemas/phase-plan.ts';
import type { AgentEntryYaml, PhaseFile } from './phase-file-schema.ts';

/**
 * A phase as the rest of IdeaMine sees it: camelCase, durations parsed (`timeboxMs`), agents
 * normalised to objects, defaults filled. Rubric names keep their snake_case spelling because they
 * are names (they appear in gate reasons), not fields.
 */
export interface PhaseConfig extends PhaseSettings {
  description?: string;
  /** The files this phase was read from: the builtin file, then a user override if any. */
  sources: readonly string[];
}

function toAgent(entry: AgentEntryYaml): AgentAssignment {
  if (typeof entry === 'string') return { id: entry };
  return {
    id: entry.id,
    ...(entry.model === undefined ? {} : { model: entry.model }),
    ...(entry.temperature === undefined ? {} : { temperature: entry.temperature }),
    ...(entry.max_output_tokens === undefined ? {} : { maxOutputTokens: entry.max_output_tokens }),
  };
}

/** Converts a validated YAML phase to a PhaseConfig; throws only on a bug (the contract disagrees). */
export function toPhaseConfig(file: PhaseFile, sources: readonly string[]): PhaseConfig {
  const settings: PhaseSettings = {
    phase: file.phase,
    dependsOn: [...file.depends_on],
    parallelism: file.parallelism,
    aggregation: file.aggregation,
    // A phase-level model applies to the agents that do not name their own.
    agents: file.agents
      .map(toAgent)
      .map((a) => (a.model === undefined && file.model !== undefined ? { ...a, model: file.model } : a)),
    budgets: {
      tokens: file.budgets.tokens,
      toolsMinutes: file.budgets.tools_minutes,
      gpuHours: file.budgets.gpu_hours,
      usd: file.budgets.usd,
    },
    rubrics: file.rubrics as PhaseSettings['rubrics'],
    allowlistedTools: [...file.allowlisted_tools],
    measure: [...(file.measure ?? [])],
    measuredMetrics: [...(file.measured_metrics ?? [])],
    heartbeatSeconds: file.heartbeat_seconds,
    stallThresholdHeartbeats: file.stall_threshold_heartbeats,
    refinery: {
      fissionMinCoverage: file.refinery.fission_min_coverage,
      fusionMinConsensus: file.refinery.fusion_min_consensus,
    },
    timebox: file.timebox,
    timeboxMs: parseIsoDurationMs(file.timebox),
    maxGateAttempts: file.max_gate_attempts,
    waiversAllowed: [...(file.waivers_allowed ?? [])],
    requiredEvidence: [...(file.required_evidence ?? [])],
  };
  // The YAML schema and the published contract are separate definitions; this keeps them honest.
  const checked = PhaseSettingsSchema.parse(settings);
  return {
    ...checked,
    ...(file.description === undefined ? {} : { description: file.description }),
    sources: [...sources],
  };
}

/** Problems a single schema cannot see: duplicate agents, waivers for rubrics the phase lacks. */
export function crossFieldProblems(file: PhaseFile): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const seen = new Set<string>();
  file.agents.forEach((entry, index) => {
    const id = typeof entry === 'string' ? entry : entry.id;
    if (seen.has(id)) problems.push({ path: ['agents', index], message: `duplicate agent "${id}"` });
    seen.add(id);
  });
  (file.waivers_allowed ?? []).forEach((rubric, index) => {
    if (!(rubric in file.rubrics)) {
      problems.push({
        path: ['waivers_allowed', index],
        message: `"${rubric}" is not a rubric of this phase`,
      });
    }
  });
  (file.measure ?? []).forEach((tool, index) => {
    const id = tool.split('@')[0] ?? tool;
    if (!file.allowlisted_tools.some((t) => (t.split('@')[0] ?? t) === id))
      problems.push({ path: ['measure', index], message: `"${tool}" is not in allowlisted_tools` });
  });
  file.depends_on.forEach((dep, index) => {
    if (dep === file.phase)
      problems.push({ path: ['depends_on', index], message: 'a phase cannot depend on itself' });
  });
  return problems;
}

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Field-level merge of a user override onto a builtin phase: mappings merge, lists replace. */
export function mergePhaseYaml(base: Plain, override: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isPlain(current) && isPlain(value) ? mergePhaseYaml(current, value) : value;
  }
  return out;
}
