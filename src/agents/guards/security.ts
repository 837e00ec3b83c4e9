import type { ArtifactView } from '../../core/agent.ts';
import { ArchitectureSpec, DataModel } from '../architecture/schemas.ts';
import {
  PrivacyAssessment,
  SECURITY_REPORT_TYPES,
  SupplyChainReport,
  ThreatModel,
} from '../security/schemas.ts';
import { findArtifact } from '../shared/artifacts.ts';
import { ScanReport, type SecurityFinding } from '../shared/schemas.ts';
import {
  defineGuard,
  type GuardFinding,
  idOf,
  missing,
  NO_EVIDENCE_COUNT,
  normalized,
  ratio,
} from './guard.ts';

/** The guard of the security phase: open findings of the scanners, threat coverage, PII and the SBOM. */

type Located = SecurityFinding & { artifactId: string; type: string };

const HIGH = new Set(['critical', 'high']);

/** Findings of the latest report of each scanner: a re-scan replaces the earlier report. */
function scanFindings(artifacts: readonly ArtifactView[]): Located[] {
  return SECURITY_REPORT_TYPES.flatMap((type) => {
    const report = findArtifact(artifacts, type, ScanReport);
    const artifactId = idOf(artifacts, type) ?? type;
    return (report?.findings ?? []).map((f) => ({ ...f, artifactId, type }));
  });
}

interface CountOptions {
  /** Severity of the finding recorded for each hit: `warning` when the rubric tolerates some. */
  severity: GuardFinding['severity'];
  /** Reported when the scan is missing: 1 fails a `_max: 0` rubric; a tolerance needs more. */
  whenMissing: number;
}

/** Counts open findings of one scanner's latest report; a missing report is noted once per scanner. */
function openCounter(artifacts: readonly ArtifactView[], findings: GuardFinding[]) {
  const all = scanFindings(artifacts);
  const noted = new Set<string>();
  return (type: string, match: (f: Located) => boolean, options: CountOptions): number => {
    if (findArtifact(artifacts, type, ScanReport) === undefined) {
      if (!noted.has(type)) missing(findings, type, 'a security rubric cannot pass without its scan');
      noted.add(type);
      return options.whenMissing;
    }
    const hits = all.filter((f) => f.type === type && f.status === 'open' && match(f));
    for (const f of hits)
      findings.push({
        severity: options.severity,
        message: `${f.id} ${f.severity}: ${f.title} at ${f.location}`,
        artifactId: f.artifactId,
      });
    return hits.length;
  };
}

function threatCoverage(artifacts: readonly ArtifactView[], findings: GuardFinding[]): number {
  const components = findArtifact(artifacts, 'ArchitectureSpec', ArchitectureSpec)?.components;
  const model = findArtifact(artifacts, 'ThreatModel', ThreatModel);
  if (components === undefined)
    missing(findings, 'ArchitectureSpec', 'threat-model coverage is measured against its components');
  if (model === undefined) missing(findings, 'ThreatModel', 'no threats to measure');
  const covered = (components ?? []).filter(
    (c) => model?.threats.some((t) => t.componentId === c.id && (t.mitigation?.trim() ?? '') !== '') ?? false,
  );
  for (const c of components ?? []) {
    if (!covered.includes(c))
      findings.push({
        severity: 'warning',
        message: `component ${c.id} has no mitigated threat in the threat model`,
      });
  }
  return ratio(covered.length, components?.length ?? 0);
}

/**
 * Personal data without protection: PII fields of the DataModel that the PrivacyAssessment does not
 * inventory (an entry carries the lawful basis and the retention), plus open high or critical privacy
 * findings. A missing assessment or data model adds one: no evidence, no pass.
 */
function unprotectedPii(artifacts: readonly ArtifactView[], findings: GuardFinding[]): number {
  const model = findArtifact(artifacts, 'DataModel', DataModel);
  const privacy = findArtifact(artifacts, 'PrivacyAssessment', PrivacyAssessment);
  if (model === undefined) missing(findings, 'DataModel', 'personal-data fields cannot be listed');
  if (privacy === undefined) missing(findings, 'PrivacyAssessment', 'personal data has no recorded basis');
  const key = (entity: string, field: string) => `${normalized(entity)}.${normalized(field)}`;
  const inventoried = new Set(privacy?.dataInventory.map((d) => key(d.entity, d.field)) ?? []);
  const artifactId = idOf(artifacts, 'PrivacyAssessment');
  const uncovered = (model?.entities ?? []).flatMap((e) =>
    e.fields.filter((f) => f.pii && !inventoried.has(key(e.name, f.name))).map((f) => `${e.name}.${f.name}`),
  );
  for (const field of uncovered)
    findings.push({
      severity: 'error',
      message: `personal-data field ${field} has no lawful basis or retention in the privacy inventory`,
      artifactId,
    });
  const open = (privacy?.findings ?? []).filter((f) => f.status === 'open' && HIGH.has(f.severity));
  for (const f of open)
    findings.push({ severity: 'error', message: `${f.id} ${f.severity}: ${f.title}`, artifactId });
  return uncovered.length + open.length + (model === undefined || privacy === undefined ? 1 : 0);
}

/** An SBOM is present when the latest SupplyChainReport lists at least one component. */
function sbomPresent(artifacts: readonly ArtifactView[], findings: GuardFinding[]): boolean {
  const report = findArtifact(artifacts, 'SupplyChainReport', SupplyChainReport);
  if (report === undefined) {
    missing(findings, 'SupplyChainReport', 'it carries the SBOM');
    return false;
  }
  if (report.sbom.components.length === 0)
    findings.push({
      severity: 'error',
      message: 'the SBOM lists no components',
      artifactId: idOf(artifacts, 'SupplyChainReport'),
    });
  return report.sbom.components.length > 0;
}

const HARD = { severity: 'error', whenMissing: 1 } as const;

export const securityGuard = defineGuard({
  phase: 'security',
  metrics: [
    'critical_cves',
    'secrets',
    'critical_sast',
    'high_findings_unmitigated',
    'threat_model_coverage',
    'critical_iac',
    'high_cves',
    'unprotected_pii',
    'sbom',
  ],
  measure(artifacts, findings) {
    const count = openCounter(artifacts, findings);
    const all = scanFindings(artifacts);
    const threats = findArtifact(artifacts, 'ThreatModel', ThreatModel)?.threats ?? [];
    const highOpen =
      all.filter((f) => f.status === 'open' && HIGH.has(f.severity)).length +
      threats.filter((t) => t.status === 'open' && HIGH.has(t.severity)).length;
    if (highOpen > 0)
      findings.push({ severity: 'error', message: `${highOpen} high or critical findings are open` });
    const isCve = (f: Located) => f.cve !== undefined;
    return {
      critical_cves: count('ScaReport', (f) => f.severity === 'critical' && isCve(f), HARD),
      secrets: count('SecretsScan', () => true, HARD),
      critical_sast: count('SastReport', (f) => f.severity === 'critical', HARD),
      high_findings_unmitigated: highOpen,
      threat_model_coverage: threatCoverage(artifacts, findings),
      critical_iac: count('IacScan', (f) => f.severity === 'critical', HARD),
      // Exactly high: critical CVEs are critical_cves. Tolerated up to the rubric, so only a warning.
      high_cves: count('ScaReport', (f) => f.severity === 'high' && isCve(f), {
        severity: 'warning',
        whenMissing: NO_EVIDENCE_COUNT,
      }),
      unprotected_pii: unprotectedPii(artifacts, findings),
      sbom: sbomPresent(artifacts, findings),
    };
  },
});
