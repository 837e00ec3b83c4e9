import type { AgentInput } from '../../core/agent.ts';
import { collapseWhitespace } from './text.ts';

/** Longest JSON excerpt of one upstream artifact put in a prompt; the rest is elided, not sent. */
const MAX_ARTIFACT_CHARS = 6_000;

export interface PromptSpec {
  produces: string;
  reads: readonly string[];
  task: string;
  rules: readonly string[];
  /** `index`: list upstream artifacts by type, name and id only (for agents that only cite them). */
  artifactDetail?: 'full' | 'index';
}

function ideaSection(input: AgentInput): string[] {
  const { idea } = input;
  const lines = [
    '## Idea',
    `Title: ${collapseWhitespace(idea.title)}`,
    `Description: ${collapseWhitespace(idea.description)}`,
  ];
  if (idea.audience !== undefined) lines.push(`Audience: ${idea.audience}`);
  if (idea.constraints !== undefined && idea.constraints.length > 0) {
    lines.push('Constraints:', ...idea.constraints.map((c) => `- ${c}`));
  }
  return lines;
}

function artifactSection(input: AgentInput, reads: readonly string[], detail: 'full' | 'index'): string[] {
  const lines = ['## Upstream artifacts'];
  let count = 0;
  for (const type of reads) {
    for (const view of input.artifacts[type] ?? []) {
      count++;
      if (detail === 'index') {
        lines.push(`- ${view.type} "${view.name}" (phase ${view.phase}, id ${view.id})`);
        continue;
      }
      const json = JSON.stringify(view.content, null, 2) ?? 'null';
      const body =
        json.length > MAX_ARTIFACT_CHARS
          ? `${json.slice(0, MAX_ARTIFACT_CHARS)}\n... (${json.length - MAX_ARTIFACT_CHARS} more characters elided)`
          : json;
      lines.push(
        `### ${view.type} "${view.name}" (phase ${view.phase}, id ${view.id})`,
        '```json',
        body,
        '```',
      );
    }
  }
  if (count === 0)
    lines.push('None available yet: derive what you need from the idea and say what you assumed.');
  return lines;
}

/** The user prompt an agent sends to a real model: task, idea, upstream evidence, hints, rules. */
export function renderPrompt(input: AgentInput, spec: PromptSpec): string {
  const lines = [
    `Run ${input.runId}, phase ${input.phase}, attempt ${input.attempt}.`,
    '',
    '## Task',
    spec.task,
    '',
    ...ideaSection(input),
    '',
    ...artifactSection(input, spec.reads, spec.artifactDetail ?? 'full'),
  ];
  if (input.hints.length > 0) {
    lines.push(
      '',
      '## Fix hints from the failed gate (address every one)',
      ...input.hints.map((h) => `- ${h}`),
    );
  }
  if (input.shard !== undefined) {
    const { index, count, key } = input.shard;
    lines.push(
      '',
      '## Shard',
      `Cover only slice ${index + 1} of ${count}${key === undefined ? '' : ` (${key})`}.`,
    );
  }
  lines.push(
    '',
    '## Output',
    `Return one JSON object: the \`${spec.produces}\` artifact, matching the output schema exactly.`,
    ...spec.rules.map((r) => `- ${r}`),
    '- Reuse the ids of upstream artifacts when you refer to them; invent new ids only for new things.',
    '- Never ask the user a question: state an explicit assumption instead.',
  );
  return lines.join('\n');
}
