import { z } from 'zod';
import type { AgentDefinition, AgentInput } from '../core/agent.ts';
import { ErrorCode, IdeaMineError } from '../core/errors.ts';
import { hashOf } from '../core/ids.ts';
import { defineAgent } from './shared/define.ts';
import { profileIdea } from './shared/profile.ts';
import { seeded } from './shared/seed.ts';
import { humanize, pascalCase } from './shared/text.ts';

/**
 * The auto-doer: when a phase names a capability no registered agent has (an agent id with no
 * definition, e.g. `bizdev.market-sizing`), IdeaMine generates one. A generated agent is data — a
 * spec (purpose, artifact type, role, task, rules, version) stored in the agent registry — turned
 * into a definition by one factory, so every process rebuilds exactly the same agent from the spec.
 * Its output is a findings report (summary + at least three specific findings); its offline
 * synthesizer writes that report from the idea's profile, deterministically.
 */

export interface GeneratedAgentSpec {
  id: string;
  version: string;
  phase: string;
  capability: string;
  purpose: string;
  produces: string;
  role: string;
  task: string;
  rules: string[];
}

export const GeneratedReportSchema = z.object({
  capability: z.string().min(1),
  summary: z.string().min(20),
  findings: z
    .array(
      z.object({
        id: z.string().regex(/^F-\d+$/),
        title: z.string().min(3),
        detail: z.string().min(10),
        confidence: z.number().min(0).max(1),
      }),
    )
    .min(3),
  assumptions: z.array(z.string().min(5)),
});
export type GeneratedReport = z.infer<typeof GeneratedReportSchema>;

const ID = /^([a-z][a-z0-9-]*)\.([a-z][a-z0-9-]*)$/;

/** Writes the spec of an agent for `id` (`<phase>.<capability>`); versioned by a hash of its content. */
export function generateAgentSpec(id: string): GeneratedAgentSpec {
  const match = ID.exec(id);
  if (!match)
    throw new IdeaMineError(
      ErrorCode.invalidConfig,
      `cannot generate an agent for "${id}": ids are <phase>.<capability>, lowercase`,
    );
  const [, phase = '', capability = ''] = match;
  const label = humanize(capability);
  const body = {
    id,
    phase,
    capability,
    purpose: `${label} for the idea, as the ${phase} phase needs it`,
    produces: `${pascalCase(label)}Report`,
    role: `You are the ${label} specialist of the ${phase} phase.`,
    task: `Produce a ${label} report for this idea: a summary and at least three specific, evidence-minded findings, each with a confidence.`,
    rules: [
      'Number findings F-1, F-2, …',
      'Confidence is between 0 and 1',
      'List the assumptions you had to make',
    ],
  };
  return { ...body, version: `1.0.0-auto.${hashOf(body).slice(0, 8)}` };
}

/** Builds the definition from a spec (generated here or loaded from the registry). */
export function agentFromSpec(spec: GeneratedAgentSpec): AgentDefinition<GeneratedReport> {
  return defineAgent({
    id: spec.id,
    version: spec.version,
    purpose: spec.purpose,
    reads: [],
    produces: spec.produces,
    role: spec.role,
    task: spec.task,
    rules: spec.rules,
    outputSchema: GeneratedReportSchema,
    offline: (input) => offlineReport(spec, input),
  });
}

function offlineReport(spec: GeneratedAgentSpec, input: AgentInput): GeneratedReport {
  const profile = profileIdea(input.idea);
  const rand = seeded(profile.fingerprint, spec.id, input.hints);
  const label = humanize(spec.capability);
  const subjects = [...profile.features.map((f) => f.name), ...profile.entities].slice(0, 5);
  const topics =
    subjects.length >= 3
      ? subjects
      : [...subjects, profile.subject, profile.audience, profile.productType].slice(0, 3);
  return {
    capability: spec.capability,
    summary: `${label} for ${profile.title}: ${topics.length} areas reviewed for ${profile.audience}.`,
    findings: topics.map((topic, i) => ({
      id: `F-${i + 1}`,
      title: `${label}: ${topic}`,
      detail: `${topic} matters to ${profile.audience} in ${profile.title}; it needs a measurable target before release.`,
      confidence: rand.float(`confidence-${i}`, 0.55, 0.9),
    })),
    assumptions: [`${profile.audience} is the primary audience of ${profile.title}.`],
  };
}

/** Checks a generated agent before it is registered: its offline output satisfies its schema. */
export function validateGeneratedAgent(agent: AgentDefinition): void {
  const sample: AgentInput = {
    runId: 'validation',
    phase: agent.phase,
    idea: { title: 'Validation idea', description: 'A shared todo app for small teams' },
    artifacts: {},
    hints: [],
    attempt: 1,
  };
  const parsed = agent.outputSchema.safeParse(agent.offline(sample));
  if (!parsed.success) {
    throw new IdeaMineError(
      ErrorCode.invalidConfig,
      `generated agent ${agent.id} failed validation: ${parsed.error.issues[0]?.message}`,
    );
  }
  if (!agent.prompt(sample).includes('Validation idea')) {
    throw new IdeaMineError(
      ErrorCode.invalidConfig,
      `generated agent ${agent.id} failed validation: its prompt does not carry the idea`,
    );
  }
}
