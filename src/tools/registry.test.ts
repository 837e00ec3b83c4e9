import { describe, expect, it } from 'vitest';
import { builtinTools, checkTools, isBuiltinToolId } from './registry.ts';

describe('tool registry', () => {
  it('holds the built-in tools by id', () => {
    expect(Object.keys(builtinTools).sort()).toEqual([
      'a11y-check',
      'acceptance-runner',
      'dependency-audit',
      'load-test',
      'sast-scan',
      'sbom',
      'secret-scan',
      'test-runner',
    ]);
    for (const [id, tool] of Object.entries(builtinTools)) expect(tool.id).toBe(id);
    expect(isBuiltinToolId('test-runner')).toBe(true);
    expect(isBuiltinToolId('toString')).toBe(false);
  });

  it('checks node, git, prlimit, bwrap and chromium for doctor', async () => {
    const checks = await checkTools();
    expect(checks.map((c) => c.name)).toEqual([
      'node',
      'git',
      'prlimit',
      'bwrap',
      'chromium',
      ...Object.keys(builtinTools).map((id) => `tool ${id}`),
    ]);
    // Each tool with the version its reports will carry.
    expect(checks.find((c) => c.name === 'tool secret-scan')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^secret-scan@\d+\.\d+\.\d+$/),
    });
    expect(checks[0]).toMatchObject({ ok: true, detail: expect.stringContaining(process.versions.node) });
    // This machine and CI have git and prlimit; bwrap's line says whether the sandbox works.
    expect(checks.find((c) => c.name === 'git')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^git version/),
    });
    expect(checks.find((c) => c.name === 'prlimit')?.ok).toBe(true);
    expect(checks.find((c) => c.name === 'bwrap')?.detail).toMatch(/sandbox probe works|unsandboxed/);
    // Debian's Chromium is installed here and in CI (the accessibility check needs it).
    expect(checks.find((c) => c.name === 'chromium')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^Chromium \d+\./),
    });
  });
});
