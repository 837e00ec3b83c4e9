import type { DependencyAudit, Sbom, SecretScan, StaticAnalysis } from '../core/schemas/security-reports.ts';
import type { MeasuredValue } from './measured-metrics.ts';
import { listed } from './metric-text.ts';

/**
 * Security-gate metrics from the scanners that ran on the workspace. Every finding is named with its
 * file and line, so a failed gate says where to look; a secret appears only masked.
 * - `secrets` (secret-scan): hits in the working tree and in the git history;
 * - `high_sast` (sast-scan): static findings rated high or critical (the rule table is the tool's);
 *   files that do not parse are named but counted by qa's `parse_errors`;
 * - `critical_cves`, `high_cves` (dependency-audit): advisories by severity. An audit that did not run
 *   measures nothing: both metrics are absent and their rubrics fail as not measured, with the reason;
 * - `sbom` (sbom): a CycloneDX document of the real dependency tree was produced (zero components is
 *   a true SBOM of an app without dependencies).
 */

const by = (tool: string) => ({ source: 'tool' as const, by: tool });

export function secretMetrics(scan: SecretScan, tool: string): Record<string, MeasuredValue> {
  const where = scan.findings.map(
    (f) =>
      `${f.file}:${f.line} ${f.rule} ${f.masked}${f.source === 'history' ? ` (in history${f.commit ? `, commit ${f.commit.slice(0, 12)}` : ''})` : ''}`,
  );
  return {
    secrets: {
      ...by(tool),
      value: scan.findings.length,
      detail:
        where.length === 0
          ? `none in ${scan.scanned.files} files and ${scan.scanned.historyBlobs} history blobs`
          : listed(where),
    },
  };
}

export function staticAnalysisMetrics(report: StaticAnalysis, tool: string): Record<string, MeasuredValue> {
  const high = report.findings.filter((f) => f.severity === 'high' || f.severity === 'critical');
  const where = high.map((f) => `${f.file}:${f.line} ${f.rule} (${f.severity}): ${f.message}`);
  // A file that does not parse is qa's `parse_errors` (the test runner's node --check), where a fixer
  // repairs it; here it is named, not counted, so that one broken file does not fail two gates.
  const unparsed = report.parseErrors.map(
    (e) => `not analysed: ${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}`,
  );
  return {
    high_sast: {
      ...by(tool),
      value: high.length,
      detail:
        where.length === 0
          ? `none in ${report.filesScanned} files (${report.findings.length} lower-severity findings)${unparsed.length > 0 ? `; ${listed(unparsed)}` : ''}`
          : listed([...where, ...unparsed]),
    },
  };
}

export function auditMetrics(audit: DependencyAudit, tool: string): Record<string, MeasuredValue> {
  if (audit.status !== 'ran') return {};
  const named = (severity: string) =>
    audit.advisories
      .filter((a) => a.severity === severity)
      .map((a) => `${a.name}${a.range ? ` ${a.range}` : ''}: ${a.title}`);
  const summary = `${audit.dependencies} dependencies audited`;
  return {
    critical_cves: {
      ...by(tool),
      value: audit.counts.critical,
      detail: audit.counts.critical === 0 ? summary : listed(named('critical')),
    },
    high_cves: {
      ...by(tool),
      value: audit.counts.high,
      detail: audit.counts.high === 0 ? summary : listed(named('high')),
    },
  };
}

export function sbomMetrics(sbom: Sbom, tool: string): Record<string, MeasuredValue> {
  return {
    sbom: {
      ...by(tool),
      value: true,
      detail: `CycloneDX ${sbom.specVersion} of ${sbom.root.name}@${sbom.root.version}: ${sbom.componentCount} components`,
    },
  };
}

/** Why a metric is missing when its tool reported but could not measure it (the gate shows this). */
export function auditUnmeasured(audit: DependencyAudit): Record<string, string> {
  if (audit.status === 'ran') return {};
  const why = `npm audit did not run: ${audit.reason ?? 'no reason given'}`;
  return { critical_cves: why, high_cves: why };
}
