import type { z } from 'zod';
import type { AgentDefinition, AgentInput } from '../../core/agent.ts';
import { renderPrompt } from './prompt.ts';

const HOUSE_RULES = [
  'You are one agent of IdeaMine, an autonomous pipeline that turns an idea into a release through gated phases.',
  'Gates are computed by code from your output, so be complete and internally consistent: every id you reference must exist.',
  'Be specific to this idea: name its real users, data and features; never write placeholders such as "Feature A" or "TBD".',
  'No human will answer questions during the run: resolve unknowns with explicit, testable assumptions.',
  'Answer with JSON only, no prose around it.',
].join('\n');

export interface AgentSpec<O> {
  /** `<phase>.<name>`. */
  id: string;
  version?: string;
  purpose: string;
  reads: readonly string[];
  produces: string;
  tools?: readonly string[];
  /** Who the agent is and how it judges: the first part of its system prompt. */
  role: string;
  /** What to produce this time: the task section of the user prompt. */
  task: string;
  /** Output rules specific to this artifact. */
  rules: readonly string[];
  /** How upstream artifacts appear in the prompt (default `full`: their JSON, truncated). */
  artifactDetail?: 'full' | 'index';
  outputSchema: z.ZodType<O>;
  offline(input: AgentInput): O;
}

export function defineAgent<O>(spec: AgentSpec<O>): AgentDefinition<O> {
  const dot = spec.id.indexOf('.');
  if (dot <= 0) throw new TypeError(`agent id "${spec.id}" must be <phase>.<name>`);
  const promptSpec = {
    produces: spec.produces,
    reads: spec.reads,
    task: spec.task,
    rules: spec.rules,
    artifactDetail: spec.artifactDetail ?? 'full',
  };
  return {
    id: spec.id,
    version: spec.version ?? '1.0.0',
    phase: spec.id.slice(0, dot),
    purpose: spec.purpose,
    reads: spec.reads,
    produces: spec.produces,
    tools: spec.tools ?? [],
    system: `${spec.role}\n\n${HOUSE_RULES}`,
    prompt: (input) => renderPrompt(input, promptSpec),
    outputSchema: spec.outputSchema,
    offline: spec.offline,
  };
}
