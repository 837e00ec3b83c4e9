import { describe, expect, it } from 'vitest';
import type { UserStories } from '../prd/schemas.ts';
import { inputFor, SAMPLE_IDEAS, simulateRun } from '../testing/simulate.ts';
import { coder } from './agents.ts';

describe.each(Object.entries(SAMPLE_IDEAS))('the coder prompt for the %s idea', (_, idea) => {
  const upstream = simulateRun(idea, { maxAttempts: 1 }).artifacts.filter((a) =>
    coder.reads.includes(a.type),
  );
  const prompt = coder.prompt(inputFor(coder, idea, upstream));

  it('names the acceptance test of every criterion, before the output contract', () => {
    const stories = (upstream.find((a) => a.type === 'UserStories')?.content as UserStories | undefined)
      ?.stories;
    if (!stories) throw new Error('the simulated run has no UserStories');
    const names = stories.flatMap((s) =>
      s.acceptanceCriteria.map((c) => `${c.id.replace(/^AC-/, 'TC-')} [${s.id}]`),
    );
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(prompt).toContain(`\`${name}\``);
    expect(prompt.indexOf('## Acceptance tests to write')).toBeLessThan(prompt.indexOf('\n## Output\n'));
    expect(prompt).toContain('`SourceTree`');
  });
});
