import type { AgentInput } from '../../core/agent.ts';
import { ApiSpec } from '../architecture/schemas.ts';
import { dependenciesOf } from '../build/agents.ts';
import { BuildPlan, RepoScaffold } from '../build/schemas.ts';
import type { Dependency } from '../ideation/schemas.ts';
import { readArtifact } from '../shared/artifacts.ts';
import { defineAgent } from '../shared/define.ts';
import { type IdeaProfile, profileIdea } from '../shared/profile.ts';
import { ScanReport, type SecurityFinding } from '../shared/schemas.ts';
import { advisoriesFor } from './advisories.ts';

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

export interface ScannerSpec {
  id: string;
  produces: string;
  purpose: string;
  tools: readonly string[];
  role: string;
  task: string;
  scan(input: AgentInput, p: IdeaProfile): { scanned: string[]; findings: Finding[] };
}

const SCAN_RULES = [
  'Report each finding with severity, CWE or CVE where one applies, location and a concrete remediation.',
  'Set `status` to `mitigated` or `fixed` only when the upstream artifacts show the control; otherwise `open`.',
];

export function withIds(prefix: string, scanner: string, findings: readonly Finding[]): SecurityFinding[] {
  return findings.map((f, i) => ({ id: `${prefix}-${i + 1}`, scanner, ...f }));
}

export function summarize(findings: readonly { severity: string; status: string }[]): string {
  const open = findings.filter((f) => f.status === 'open');
  const high = open.filter((f) => f.severity === 'critical' || f.severity === 'high').length;
  return `${findings.length} findings, ${open.length} open (${high} high or critical).`;
}

function scanner(spec: ScannerSpec) {
  const name = spec.id.split('.')[1] ?? spec.id;
  return defineAgent({
    id: spec.id,
    purpose: spec.purpose,
    reads: SECURITY_UPSTREAM,
    produces: spec.produces,
    tools: spec.tools,
    role: spec.role,
    task: spec.task,
    rules: SCAN_RULES,
    outputSchema: ScanReport,
    offline(input) {
      const { scanned, findings } = spec.scan(input, profileIdea(input.idea));
      const withId = withIds(name.toUpperCase(), name, findings);
      return { scanner: name, scanned, findings: withId, summary: summarize(withId) };
    },
  });
}

const SECRET_PATTERNS: [RegExp, string][] = [
  [/AKIA[0-9A-Z]{16}/, 'AWS access key id'],
  [/-----BEGIN (RSA |EC )?PRIVATE KEY-----/, 'private key'],
  [/sk_live_[0-9a-zA-Z]{16,}/, 'Stripe live secret key'],
  [/(password|secret|token)\s*[=:]\s*['"]?[A-Za-z0-9/+]{16,}/i, 'credential assignment'],
];

export const secrets = scanner({
  id: 'security.secrets',
  produces: 'SecretsScan',
  purpose: 'Scan the repository files for committed secrets.',
  tools: ['secret-scan'],
  role: 'You are a secrets-detection engineer. You flag credentials in code and configuration, and you tell placeholders from real keys.',
  task: 'Scan the scaffolded repository files for secrets.',
  scan(input) {
    const files = readArtifact(input, 'RepoScaffold', RepoScaffold)?.files ?? [];
    const findings: Finding[] = [];
    for (const file of files) {
      for (const [pattern, what] of SECRET_PATTERNS) {
        if (file.content !== undefined && pattern.test(file.content)) {
          findings.push({
            severity: 'critical',
            cwe: 'CWE-798',
            title: `Possible ${what}`,
            location: file.path,
            status: 'open',
            remediation: 'Rotate it and load it from the secret manager.',
          });
        }
      }
    }
    return { scanned: files.map((f) => f.path), findings };
  },
});

function auditDependencies(deps: readonly Dependency[]): Finding[] {
  const findings: Finding[] = [];
  const all = deps.map((d) => ({ ...d, via: 'direct' }));
  for (const dep of all) {
    for (const adv of advisoriesFor(dep.name, dep.version)) {
      findings.push({
        severity: adv.severity,
        cve: adv.cve,
        cwe: adv.cwe,
        title: `${adv.title} (${dep.name}@${dep.version}, ${dep.via})`,
        location: `package-lock.json: ${dep.name}@${dep.version}`,
        status: 'open',
        remediation: `Upgrade ${dep.name} to ${adv.fixedIn} or later (npm overrides for transitive copies).`,
      });
    }
  }
  return findings;
}

export const sca = scanner({
  id: 'security.sca',
  produces: 'ScaReport',
  purpose: 'Software composition analysis: known CVEs in the planned dependencies.',
  tools: ['dependency-audit'],
  role: 'You are a dependency-security analyst. You match every pinned dependency against known advisories and give the fixed version.',
  task: "Audit the build plan's dependencies for known vulnerabilities.",
  scan(input) {
    const deps = readArtifact(input, 'BuildPlan', BuildPlan)?.dependencies ?? dependenciesOf(input);
    return { scanned: deps.map((d) => `${d.name}@${d.version}`), findings: auditDependencies(deps) };
  },
});

export const sast = scanner({
  id: 'security.sast',
  produces: 'SastReport',
  purpose:
    'Static analysis of the planned handlers: injection, missing authentication, broken object-level authorization.',
  tools: ['sast-scan'],
  role: 'You are an application-security engineer doing static analysis. You look for injection, missing authentication and IDOR in request handlers.',
  task: 'Analyse the API handlers planned for the idea for code-level weaknesses.',
  scan(input, p) {
    const endpoints = readArtifact(input, 'ApiSpec', ApiSpec)?.endpoints ?? [];
    const findings: Finding[] = [];
    for (const e of endpoints) {
      if (!e.authRequired && e.method !== 'GET') {
        findings.push({
          severity: 'high',
          cwe: 'CWE-306',
          title: `Unauthenticated ${e.method} ${e.path}`,
          location: e.path,
          status: 'open',
          remediation: 'Require a bearer token.',
        });
      }
    }
    const writes = endpoints.filter((e) => e.method === 'PATCH' || e.method === 'PUT');
    if (writes.length > 0) {
      findings.push({
        severity: 'medium',
        cwe: 'CWE-639',
        title: `Object-level authorization on ${writes.length} update handlers`,
        location: writes.map((e) => e.path).join(', '),
        status: 'mitigated',
        remediation: `Ownership check on every ${p.subject} record, covered by 403 acceptance criteria.`,
      });
    }
    return { scanned: endpoints.map((e) => `${e.method} ${e.path}`), findings };
  },
});

const IAC_CHECKS: [RegExp, string, string][] = [
  [/storage_encrypted\s*=\s*true/, 'Database storage not encrypted', 'CWE-311'],
  [/publicly_accessible\s*=\s*false/, 'Database publicly accessible', 'CWE-284'],
  [/block_public_acls\s*=\s*true/, 'Storage bucket allows public ACLs', 'CWE-732'],
];

export const iac = scanner({
  id: 'security.iac',
  produces: 'IacScan',
  purpose: 'Infrastructure-as-code scan: encryption, public exposure, access policies.',
  tools: ['iac-scan'],
  role: 'You are a cloud-security engineer. You review infrastructure code for encryption, network exposure and overly broad access.',
  task: 'Scan the infrastructure files of the repository.',
  scan(input) {
    const files = (readArtifact(input, 'RepoScaffold', RepoScaffold)?.files ?? []).filter((f) =>
      f.path.endsWith('.tf'),
    );
    const text = files.map((f) => f.content ?? '').join('\n');
    const findings: Finding[] = IAC_CHECKS.filter(([ok]) => files.length > 0 && !ok.test(text)).map(
      ([, title, cwe]) => ({
        severity: 'high' as const,
        cwe,
        title,
        location: files.map((f) => f.path).join(', '),
        status: 'open' as const,
        remediation: 'Fix the resource settings before the first apply.',
      }),
    );
    const db = /resource "aws_db_instance" "([^"]+)"/.exec(text)?.[1] ?? 'the database';
    findings.push({
      severity: 'low',
      title: `No backup retention period declared for ${db}`,
      location: 'infra/main.tf',
      status: 'accepted',
      remediation: 'Provider default (7 days) accepted for the beta.',
    });
    return { scanned: files.map((f) => f.path), findings };
  },
});

export const container = scanner({
  id: 'security.container',
  produces: 'ContainerScan',
  purpose: 'Container image review: base image, user, health check, known CVEs in the base.',
  tools: ['container-scan'],
  role: 'You are a container-security engineer. You check that images are minimal, pinned, non-root and observable.',
  task: 'Review the Dockerfile of the repository.',
  scan(input) {
    const scaffold = readArtifact(input, 'RepoScaffold', RepoScaffold);
    const file = scaffold?.files.find((f) => f.path === 'Dockerfile');
    const text = file?.content ?? '';
    const findings: Finding[] = [];
    if (file !== undefined && !/^USER\s+(?!root)/m.test(text)) {
      findings.push({
        severity: 'high',
        cwe: 'CWE-250',
        title: 'Container runs as root',
        location: 'Dockerfile',
        status: 'open',
        remediation: 'Add USER node.',
      });
    }
    if (file !== undefined && !/@sha256:/.test(text)) {
      findings.push({
        severity: 'low',
        title: 'Base image pinned by tag, not digest',
        location: 'Dockerfile',
        status: 'accepted',
        remediation: 'Renovate pins the digest after the first release.',
      });
    }
    return {
      scanned: file === undefined ? [] : [`${scaffold?.repository ?? 'repository'}/Dockerfile`],
      findings,
    };
  },
});

export const securityScanners = [secrets, sca, sast, iac, container] as const;
