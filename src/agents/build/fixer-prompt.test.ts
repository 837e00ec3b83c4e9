import { describe, expect, it } from 'vitest';
import type { AgentInput, ArtifactView } from '../../core/agent.ts';
import { defineFixer, FixerPatch } from './fixer.ts';
import { redactSecrets } from './fixer-prompt.ts';

const FAILING = 'UT-lists-delete returns 204, then the record is gone';
const MESSAGE = 'Expected values to be strictly equal:\n\n200 !== 204\n';

function view(type: string, name: string, content: unknown): ArtifactView {
  return { id: `${type}-1`, type, name, phase: 'qa', content };
}

/** A report as the test runner stores it: 300 passing cases come before the one failure. */
function report(): unknown {
  const passing = Array.from({ length: 300 }, (_, i) => ({
    name: `UT-app-case ${i} passes with a long enough name to fill the prompt`,
    file: 'test/app.test.js',
    status: 'passed',
    durationMs: 1,
  }));
  return {
    tool: 'test-runner@24.21.0',
    command: 'node --test',
    exitCode: 1,
    passed: 300,
    failed: 1,
    skipped: 0,
    todo: 0,
    total: 301,
    cases: [
      ...passing,
      { name: FAILING, file: 'test/lists.test.js', status: 'failed', durationMs: 2, message: MESSAGE },
    ],
    failures: [{ name: FAILING, file: 'test/lists.test.js', message: MESSAGE }],
    parseErrors: [{ file: 'public/app.js', line: 3, message: "SyntaxError: Unexpected token '{'" }],
  };
}

function workspace(): unknown {
  const filler = Array.from({ length: 40 }, (_, i) => ({
    path: `docs/page-${String(i).padStart(2, '0')}.md`,
    content: 'x'.repeat(8_000),
  }));
  return {
    commit: null,
    files: [
      ...filler,
      { path: '.env', content: 'DATABASE_URL=postgres://admin:hunter2hunter2@db/app' },
      { path: '.env.example', content: 'DATABASE_URL=postgres://localhost:5432/app' },
      {
        path: 'src/config.js',
        content: "export const apiKey = 'sk-proj-abcdefghijklmnopqrstuvwxyz123456';\n",
      },
      { path: 'test/lists.test.js', content: "test('delete returns 204', () => {});\n" },
      { path: 'src/resources/lists.js', content: 'return { status: 200, body: { deleted: true } };\n' },
    ],
  };
}

function input(artifacts: ArtifactView[], hints: string[] = []): AgentInput {
  const byType: Record<string, ArtifactView[]> = {};
  for (const a of artifacts) byType[a.type] = [...(byType[a.type] ?? []), a];
  return {
    runId: 'run-1',
    phase: 'qa',
    idea: { title: 'A shared todo app', description: 'A shared todo app for small teams' },
    artifacts: byType,
    hints,
    attempt: 2,
  };
}

describe('the fixer prompt', () => {
  const fixer = defineFixer('qa', 'TestReport');

  it('carries every failing test with its message and the parse errors, however many cases passed', () => {
    const prompt = fixer.prompt(
      input([
        view('TestReport', 'tool:test-runner:TestReport', report()),
        view('WorkspaceSnapshot', 'workspace', workspace()),
      ]),
    );
    expect(prompt).toContain(`### FAILED: ${FAILING}`);
    expect(prompt).toContain(MESSAGE.trim());
    expect(prompt).toContain('### PARSE ERROR: public/app.js:3');
    expect(prompt).toContain("SyntaxError: Unexpected token '{'");
    expect(prompt).not.toContain('UT-app-case 0 passes');
    expect(prompt).toContain('300/301 tests passed, 1 failed, 1 file(s) did not parse.');
  });

  it('shows the files the failures name first, within a bounded size, and no secrets', () => {
    const prompt = fixer.prompt(
      input([
        view('TestReport', 'tool:test-runner:TestReport', report()),
        view('WorkspaceSnapshot', 'workspace', workspace()),
      ]),
    );
    const at = (path: string) => prompt.indexOf(`### ${path}\n`);
    expect(at('test/lists.test.js')).toBeGreaterThan(0);
    expect(at('public/app.js')).toBe(-1); // named, but not in the workspace
    expect(at('test/lists.test.js')).toBeLessThan(at('src/config.js'));
    expect(at('src/resources/lists.js')).toBeLessThan(at('docs/page-00.md'));
    expect(prompt).toContain('return { status: 200, body: { deleted: true } };');
    expect(prompt).toMatch(/Not shown \(size limit of this prompt\): .*docs\/page-39\.md/);
    expect(prompt.length).toBeLessThan(200_000);
    expect(prompt).not.toContain('hunter2');
    expect(prompt).not.toContain('### .env\n');
    expect(prompt).toContain('### .env.example\n');
    expect(prompt).not.toContain('sk-proj-abcdefghijklmnop');
    expect(prompt).toContain("export const apiKey = '[redacted]';");
  });

  it('says there is nothing to fix on a first attempt, and keeps the header, hints and output contract', () => {
    const prompt = fixer.prompt(input([], ['fix:test_pass_rate_min: make the failing tests pass']));
    expect(prompt).toContain('None: there is no test report of a previous attempt');
    expect(prompt).toContain('A shared todo app');
    expect(prompt).toContain('fix:test_pass_rate_min');
    expect(prompt).toContain('`CodePatch`');
  });

  it('answers with a schema that requires every key (strict structured outputs) and returns no deletions', () => {
    expect(FixerPatch.safeParse({ files: [], diagnosis: [] }).success).toBe(true);
    expect(Object.keys(FixerPatch.shape).sort()).toEqual(['diagnosis', 'files']);
  });
});

describe('redactSecrets', () => {
  it('removes key shapes and quoted secret literals, and leaves code alone', () => {
    expect(redactSecrets('const password = "correct-horse-battery"')).toBe('const password = "[redacted]"');
    expect(redactSecrets('AWS AKIAABCDEFGHIJKLMNOP')).toBe('AWS [redacted]');
    expect(redactSecrets('-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----')).toBe(
      '[redacted]',
    );
    const code = "const token = req.headers['x-user'];\nif (!token) return { status: 401 };";
    expect(redactSecrets(code)).toBe(code);
  });
});
