import type { SecurityFinding } from '../shared/schemas.ts';

/**
 * What the security agents read and how they number findings. The scanning itself is not an agent's:
 * secrets, static analysis, the dependency audit and the SBOM are measured on the workspace by tools
 * (config/phases/security.yaml `measure`); the agents judge the threat model and the privacy of the design.
 */

export const SECURITY_UPSTREAM = [
  'IdeaSpec',
  'NFRs',
  'TechStack',
  'ArchitectureSpec',
  'ApiSpec',
  'DataModel',
  'RepoScaffold',
  'BuildPlan',
  'CiPipeline',
];

export type Finding = Omit<SecurityFinding, 'id' | 'scanner'>;

export function withIds(prefix: string, scanner: string, findings: readonly Finding[]): SecurityFinding[] {
  return findings.map((f, i) => ({ id: `${prefix}-${i + 1}`, scanner, ...f }));
}

export function summarize(findings: readonly { severity: string; status: string }[]): string {
  const open = findings.filter((f) => f.status === 'open');
  const high = open.filter((f) => f.severity === 'critical' || f.severity === 'high').length;
  return `${findings.length} findings, ${open.length} open (${high} high or critical).`;
}
