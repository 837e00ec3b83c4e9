import { describe, expect, it } from 'vitest';
import type { AccessibilityScan } from '../core/schemas/accessibility-report.ts';
import type { DependencyAudit, SecretScan, StaticAnalysis } from '../core/schemas/security-reports.ts';
import { accessibilityMetrics } from './accessibility-metrics.ts';
import { evaluateRubric } from './gatekeeper.ts';
import { measuredMetrics, type ToolArtifact, unmeasuredReasons } from './measured-metrics.ts';
import { auditMetrics, secretMetrics, staticAnalysisMetrics } from './security-metrics.ts';

const tool = (ref: string) => ({ source: 'tool', tool: ref });

function secretScan(findings: SecretScan['findings']): SecretScan {
  return { tool: 'secret-scan@13.0.6', versions: {}, scanned: { files: 12, historyBlobs: 30 }, findings };
}

describe('security metrics from the scanners', () => {
  it('counts secrets in files and history, naming file and line with the value masked', () => {
    const m = secretMetrics(
      secretScan([
        {
          rule: '@secretlint/secretlint-rule-aws',
          file: 'src/cloud.js',
          line: 1,
          masked: 'AKIA… (20 chars)',
          source: 'worktree',
          message: 'found AWS access key',
        },
        {
          rule: '@secretlint/secretlint-rule-privatekey',
          file: 'keys/id_rsa',
          line: 1,
          masked: '----… (1675 chars)',
          source: 'history',
          commit: 'a'.repeat(40),
          message: 'found private key',
        },
      ]),
      'secret-scan@13.0.6',
    );
    expect(m['secrets']?.value).toBe(2);
    expect(m['secrets']?.detail).toMatch(
      /^src\/cloud\.js:1 .*AKIA… \(20 chars\); keys\/id_rsa:1 .*in history, commit aaaaaaaaaaaa/,
    );
    const reason = evaluateRubric(
      'secrets_max',
      0,
      { secrets: 2 },
      { origins: { secrets: m['secrets']! } },
    ).reason;
    expect(reason).toMatch(/secrets_max exceeded: 2 > 0 \(src\/cloud\.js:1/);
  });

  it('counts high and critical static findings, not lower ones; names unparsed files without counting them', () => {
    const report: StaticAnalysis = {
      tool: 'sast-scan@10.16.0',
      versions: {},
      filesScanned: 9,
      findings: [
        {
          rule: 'no-eval',
          file: 'src/a.js',
          line: 3,
          column: 1,
          message: 'eval can be harmful.',
          severity: 'high',
        },
        {
          rule: 'security/detect-object-injection',
          file: 'src/b.js',
          line: 8,
          column: 5,
          message: 'Generic Object Injection Sink',
          severity: 'low',
        },
      ],
      parseErrors: [{ file: 'src/c.js', line: 2, message: 'Unexpected token' }],
    };
    const m = staticAnalysisMetrics(report, 'sast-scan@10.16.0');
    expect(m['high_sast']?.value).toBe(1);
    expect(m['high_sast']?.detail).toBe(
      'src/a.js:3 no-eval (high): eval can be harmful.; not analysed: src/c.js:2: Unexpected token',
    );
  });

  it('an audit that did not run measures nothing and says why; one that ran counts by severity', () => {
    const base = { tool: 'dependency-audit@11.19.1', versions: {}, dependencies: 0, advisories: [] };
    const counts = { critical: 0, high: 0, moderate: 0, low: 0, info: 0 };
    const notRun: DependencyAudit = {
      ...base,
      status: 'not-run',
      reason: 'registry unreachable (ECONNREFUSED)',
      counts,
    };
    expect(auditMetrics(notRun, 'x')).toEqual({});
    const artifact: ToolArtifact = {
      type: 'DependencyAudit',
      content: notRun,
      provenance: tool('dependency-audit@11.19.1'),
    };
    const why = unmeasuredReasons([artifact]);
    expect(why['critical_cves']).toBe('npm audit did not run: registry unreachable (ECONNREFUSED)');
    const reason = evaluateRubric(
      'critical_cves_max',
      0,
      {},
      { measured: ['critical_cves'], unmeasured: why },
    ).reason;
    expect(reason).toBe(
      'critical_cves_max not measured: npm audit did not run: registry unreachable (ECONNREFUSED)',
    );
    const ran: DependencyAudit = {
      ...base,
      status: 'ran',
      dependencies: 3,
      counts: { ...counts, high: 1 },
      advisories: [{ name: 'minimist', severity: 'high', title: 'Prototype Pollution', range: '<0.2.1' }],
    };
    expect(auditMetrics(ran, 'x')['high_cves']).toMatchObject({
      value: 1,
      detail: 'minimist <0.2.1: Prototype Pollution',
    });
    expect(auditMetrics(ran, 'x')['critical_cves']?.value).toBe(0);
  });

  it('a measure tool that produced no report leaves its metrics unmeasured with its error', () => {
    const failure: ToolArtifact = {
      type: 'ToolFailure',
      content: {
        toolId: 'secret-scan',
        tool: 'secret-scan@13.0.6',
        error: 'tool secret-scan@13.0.6: timed out after 180000 ms\nstack',
      },
      provenance: { source: 'measure' },
    };
    expect(measuredMetrics([failure], undefined)).toEqual({});
    expect(unmeasuredReasons([failure])).toEqual({
      secrets: 'secret-scan@13.0.6 produced no report: tool secret-scan@13.0.6: timed out after 180000 ms',
    });
  });
});

function page(
  path: string,
  over: Partial<AccessibilityScan['pages'][number]> = {},
): AccessibilityScan['pages'][number] {
  return {
    path,
    url: `http://127.0.0.1:1${path}`,
    status: 200,
    violations: [],
    passes: 20,
    incomplete: 0,
    ...over,
  };
}

function scan(pages: AccessibilityScan['pages'], over: Partial<AccessibilityScan> = {}): AccessibilityScan {
  return {
    tool: 'a11y-check@4.14.1',
    versions: { axeCore: '4.14.1', playwrightCore: '1.65.1', browser: '156.0' },
    baseUrl: 'http://127.0.0.1:1',
    standard: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'],
    pages,
    counts: { critical: 0, serious: 0, moderate: 0, minor: 0 },
    ...over,
  };
}

const imageAlt = {
  id: 'image-alt',
  impact: 'critical' as const,
  help: 'Images must have alternative text',
  helpUrl: 'https://dequeuniversity.com/rules/axe/4.14/image-alt',
  tags: ['cat.text-alternatives', 'wcag2a', 'wcag111'],
  nodes: 1,
  targets: ['img'],
};

describe('accessibility metrics from axe-core in Chromium', () => {
  it('a clean scan of every page passes all three', () => {
    const m = accessibilityMetrics(scan([page('/'), page('/about')]), 'a11y-check@4.14.1');
    expect(m['a11y_violations_serious']?.value).toBe(0);
    expect(m['wcag_level_aa']?.value).toBe(true);
    expect(m['pages_failed']?.value).toBe(0);
  });

  it('an image without alt text is a serious-or-worse violation and breaks WCAG A', () => {
    const m = accessibilityMetrics(scan([page('/', { violations: [imageAlt] })]), 'a11y-check@4.14.1');
    expect(m['a11y_violations_serious']).toMatchObject({
      value: 1,
      detail: '/: image-alt (critical) Images must have alternative text at img',
    });
    expect(m['wcag_level_aa']?.value).toBe(false);
  });

  it('a moderate violation of a WCAG AA rule fails AA but not the serious count', () => {
    const contrast = { ...imageAlt, id: 'some-aa-rule', impact: 'moderate' as const, tags: ['wcag2aa'] };
    const m = accessibilityMetrics(scan([page('/', { violations: [contrast] })]), 't');
    expect(m['a11y_violations_serious']?.value).toBe(0);
    expect(m['wcag_level_aa']?.value).toBe(false);
  });

  it('a page that does not load fails with its HTTP status', () => {
    const m = accessibilityMetrics(scan([page('/'), page('/help', { status: 404, error: 'HTTP 404' })]), 't');
    expect(m['pages_failed']).toMatchObject({ value: 1, detail: '/help: HTTP 404' });
    expect(m['wcag_level_aa']?.value).toBe(false);
  });

  it('an app that did not start measures nothing good', () => {
    const m = accessibilityMetrics(scan([], { startError: 'exited with code 1\nboom' }), 't');
    expect(m['a11y_violations_serious']?.value).toBe(1);
    expect(m['pages_failed']?.value).toBe(1);
    expect(m['wcag_level_aa']).toMatchObject({
      value: false,
      detail: 'the app did not start: exited with code 1',
    });
  });
});
