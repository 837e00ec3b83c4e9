import { describe, expect, it } from 'vitest';
import { diffHashOf, fixRound, NO_CHANGE, normalizeMessage, repeatedRound } from './fix-loop.ts';

const DELETE = 'UT-lists-delete returns 204, then the record is gone';
const OWNER = 'UT-lists-only the owner changes or deletes a record; refusals are audited';

function testReport(failures: Array<{ name: string; message: string }>, extra: Record<string, unknown> = {}) {
  return {
    type: 'TestReport',
    content: {
      tool: 'test-runner@24.21.0',
      command: 'node --test',
      exitCode: failures.length > 0 ? 1 : 0,
      passed: 10,
      failed: failures.length,
      skipped: 0,
      todo: 0,
      total: 10 + failures.length,
      durationMs: 812.4,
      cases: [
        { name: 'UT-app-healthz answers 200 once ready', status: 'passed', durationMs: 3.1 },
        ...failures.map((f) => ({ name: f.name, status: 'failed', durationMs: 12.7, message: f.message })),
      ],
      failures,
      parseErrors: [],
      commit: '3258f7f0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6',
      ...extra,
    },
  };
}

const statusMessage = (port: number, ms: number) =>
  `Expected values to be strictly equal:\n\n200 !== 204\n\n    at TestContext.<anonymous> (/tmp/ideamine-acceptance-${port}/runs/0b6f7c3e-9f51-4a57-9d1f-2a3c4b5d6e7f/workspace/test/lists.test.js:58:10)\n    request to http://127.0.0.1:${port}/api/v1/lists took ${ms}ms`;

const fixed = {
  files: [{ path: 'src/resources/lists.js', content: 'export const ok = true;\n' }],
  diagnosis: [],
};

describe('normalizeMessage', () => {
  it('removes numbers, durations, hex ids, ports and temp paths, and keeps the workspace file', () => {
    const a = normalizeMessage(statusMessage(41234, 18.2));
    const b = normalizeMessage(statusMessage(53111, 240));
    expect(a).toBe(b);
    expect(a).toContain('<workspace>/test/lists.test.js:#:#');
    expect(a).toContain(':<port>/api/v#/lists');
    expect(a).toContain('<duration>');
    expect(a).not.toMatch(/ideamine-acceptance|0b6f7c3e|41234/);
    expect(normalizeMessage('commit 3258f7f0b1c2 at 2025-03-01T10:20:30.123Z')).toBe(
      'commit <hex> at <time>',
    );
    expect(normalizeMessage('a temp file /tmp/xyz-123/out.json was missing')).toBe(
      'a temp file <tmp> was missing',
    );
  });

  it('keeps what is not volatile: different assertions stay different', () => {
    expect(normalizeMessage('expected status to be ok')).not.toBe(normalizeMessage('expected body to be ok'));
  });
});

describe('diffHashOf', () => {
  it('is "no change" for no patch or empty patches', () => {
    expect(diffHashOf([])).toBe(NO_CHANGE);
    expect(
      diffHashOf([
        { files: [], diagnosis: [] },
        { files: [], deletions: [] },
      ]),
    ).toBe(NO_CHANGE);
  });

  it('hashes files by path, whatever their order, and tells different code apart', () => {
    const two = [
      { path: 'a.js', content: 'a' },
      { path: 'b.js', content: 'b' },
    ];
    expect(diffHashOf([{ files: two }])).toBe(diffHashOf([{ files: [...two].reverse() }]));
    expect(diffHashOf([{ files: two }])).not.toBe(
      diffHashOf([{ files: [two[0], { path: 'b.js', content: 'c' }] }]),
    );
    expect(diffHashOf([{ files: [], deletions: ['old.js'] }])).not.toBe(NO_CHANGE);
  });
});

describe('fixRound', () => {
  it('collects failures, not-passed cases and parse errors of test and acceptance reports', () => {
    const round = fixRound({
      attempt: 2,
      reports: [
        testReport([{ name: DELETE, message: statusMessage(4000, 1) }], {
          parseErrors: [{ file: 'public/app.js', line: 3, message: "SyntaxError: Unexpected token '{'" }],
        }),
        {
          type: 'AcceptanceRun',
          content: {
            cases: [
              { name: 'TC-1.1.1 [US-1.1] create a list', status: 'passed' },
              { name: 'TC-1.1.2 [US-1.1] rename a list', status: 'cancelled' },
            ],
            failures: [],
            parseErrors: [],
            baseUrl: 'http://127.0.0.1:4000',
          },
        },
        { type: 'MeasuredCoverage', content: { lines: 0.5 } },
      ],
      patches: [],
    });
    expect(round).toMatchObject({
      attempt: 2,
      failingTests: ['TC-1.1.2 [US-1.1] rename a list', DELETE, 'parse error in public/app.js'].sort(),
      diffHash: NO_CHANGE,
    });
    expect(round.errorSignature).toMatch(/^[0-9a-f]{64}$/);
  });

  it('signs the same failure on another port, in another temp dir, at another speed alike', () => {
    const a = fixRound({
      attempt: 1,
      reports: [testReport([{ name: DELETE, message: statusMessage(4100, 3) }])],
      patches: [],
    });
    const b = fixRound({
      attempt: 2,
      reports: [testReport([{ name: DELETE, message: statusMessage(5200, 90) }])],
      patches: [],
    });
    expect(b.errorSignature).toBe(a.errorSignature);
    const other = fixRound({
      attempt: 2,
      reports: [testReport([{ name: DELETE, message: 'TypeError: store.remove is not a function' }])],
      patches: [],
    });
    expect(other.errorSignature).not.toBe(a.errorSignature);
  });
});

describe('repeatedRound', () => {
  const round = (
    attempt: number,
    failures: Array<{ name: string; message: string }>,
    patches: unknown[] = [],
  ) => fixRound({ attempt, reports: [testReport(failures)], patches });
  const two = (port: number) => [
    { name: DELETE, message: statusMessage(port, 5) },
    { name: OWNER, message: statusMessage(port, 7) },
  ];

  it('stops when failing tests, errors and patch are all the same, and says why in words', () => {
    const repeat = repeatedRound(round(2, two(4000), [fixed]), round(3, two(4500), [fixed]));
    expect(repeat).toMatchObject({ attempt: 3, repeats: 2, failingTests: [DELETE, OWNER].sort() });
    expect(repeat?.reason).toBe(
      `attempt 3 repeated attempt 2: same 2 failing tests (${[DELETE, OWNER].sort().join('; ')}), same errors, same patch`,
    );
    expect(repeatedRound(round(1, two(4000)), round(2, two(4001)))?.reason).toMatch(
      /same patch \(no change\)$/,
    );
  });

  it('goes on when any one of the three differs', () => {
    const base = round(1, two(4000), [fixed]);
    expect(repeatedRound(base, round(2, two(4000).slice(0, 1), [fixed]))).toBeUndefined();
    expect(
      repeatedRound(
        base,
        round(2, [two(4000)[0]!, { name: OWNER, message: 'AssertionError: 403 !== 401 changed' }], [fixed]),
      ),
    ).toBeUndefined();
    expect(repeatedRound(base, round(2, two(4000), []))).toBeUndefined();
    expect(repeatedRound(undefined, base)).toBeUndefined();
  });

  it('is never a repeat without a failing test (coverage or a budget alone failed)', () => {
    expect(repeatedRound(round(1, []), round(2, []))).toBeUndefined();
  });
});

describe('scanner rounds', () => {
  const secretScan = (line: number) => ({
    type: 'SecretScan',
    content: {
      findings: [
        { rule: '@secretlint/secretlint-rule-aws', file: 'src/cloud.js', line, masked: 'AKIA…(20 chars)' },
      ],
    },
  });
  const axe = (id: string) => ({
    type: 'AccessibilityScan',
    content: { pages: [{ path: '/', violations: [{ id, impact: 'critical' }] }] },
  });

  it('the same secret on an unchanged workspace repeats: nothing is left to try', () => {
    const first = fixRound({ attempt: 1, reports: [secretScan(1)], patches: [] });
    const second = fixRound({ attempt: 2, reports: [secretScan(1)], patches: [] });
    expect(first.failingTests).toEqual(['secret at src/cloud.js:1']);
    expect(repeatedRound(first, second)?.reason).toMatch(/attempt 2 repeated attempt 1: same 1 failing test/);
  });

  it('a finding that moved or changed is progress, not a repeat', () => {
    const first = fixRound({ attempt: 1, reports: [secretScan(1)], patches: [] });
    expect(
      repeatedRound(first, fixRound({ attempt: 2, reports: [secretScan(2)], patches: [] })),
    ).toBeUndefined();
    const a11y = fixRound({ attempt: 1, reports: [axe('image-alt')], patches: [] });
    expect(a11y.failingTests).toEqual(['image-alt on /']);
    expect(
      repeatedRound(a11y, fixRound({ attempt: 2, reports: [axe('label')], patches: [] })),
    ).toBeUndefined();
  });
});
