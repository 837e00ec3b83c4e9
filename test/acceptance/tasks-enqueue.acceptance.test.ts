import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

/** `tasks enqueue` checks a submission against the registered task types before it stores anything. */
describe('tasks enqueue refuses what no worker could run', () => {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-enqueue-'));
  const env = { IDEAMINE_HOME: home, DATABASE_URL: undefined };
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  const stored = async (): Promise<number> => {
    const list = await runCli(['tasks', 'list', '--json', '--limit', '1000'], env);
    expect(list.code).toBe(0);
    return list.stdout.split('\n').filter((l) => l.trim()).length;
  };

  it.each([
    [
      'an unknown type',
      ['diag.nope'],
      /unknown task type "diag.nope": this installation runs agent.run, diag.effect/,
    ],
    ['a negative ms', ['diag.sleep', '--input', '{"ms":-1}'], /diag.sleep input rejected: ms:/],
    [
      'an unknown field',
      ['diag.sleep', '--input', '{"ms":1,"speed":9}'],
      /diag.sleep input rejected: .*speed/,
    ],
    [
      'a 5,000-level input',
      ['diag.sleep', '--input', `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`],
      /task input is nested deeper than 32 levels/,
    ],
  ])('%s: exit 2, a clear error, nothing stored', async (_what, args, message) => {
    const r = await runCli(['tasks', 'enqueue', ...args], env);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(r.code).toBe(2);
    expect(await stored()).toBe(0);
  });

  it('a valid submission is stored', async () => {
    const r = await runCli(['tasks', 'enqueue', 'diag.sleep', '--input', '{"ms":1}', '--count', '2'], env);
    expect(r.code).toBe(0);
    expect(await stored()).toBe(2);
  });
});
