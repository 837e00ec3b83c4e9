import type { ArtifactView } from '../../core/agent.ts';
import { ArchitectureSpec, DataModel } from '../architecture/schemas.ts';
import { PrivacyAssessment, ThreatModel } from '../security/schemas.ts';
import { findArtifact } from '../shared/artifacts.ts';
import { defineGuard, type GuardFinding, idOf, missing, normalized, ratio } from './guard.ts';

/**
 * The guard of the security phase: what the agents judged — threat-model coverage of the architecture
 * and personal data without protection. Secrets, static analysis, the dependency audit and the SBOM are
 * measured by tools on the workspace (src/orchestrator/security-metrics.ts); no agent reports them.
 */

const HIGH = new Set(['critical', 'high']);

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

export const securityGuard = defineGuard({
  phase: 'security',
  metrics: ['threat_model_coverage', 'unprotected_pii'],
  measure(artifacts, findings) {
    const threats = findArtifact(artifacts, 'ThreatModel', ThreatModel)?.threats ?? [];
    for (const t of threats.filter((t) => t.status === 'open' && HIGH.has(t.severity)))
      findings.push({
        severity: 'warning',
        message: `threat ${t.id} (${t.severity}) on ${t.componentId} is open: ${t.description}`,
        artifactId: idOf(artifacts, 'ThreatModel'),
      });
    return {
      threat_model_coverage: threatCoverage(artifacts, findings),
      unprotected_pii: unprotectedPii(artifacts, findings),
    };
  },
});
