import { deriveComponents } from '../architecture/agents.ts';
import { ArchitectureSpec, type Component, DataModel } from '../architecture/schemas.ts';
import { readArtifact } from '../shared/artifacts.ts';
import { defineAgent } from '../shared/define.ts';
import { profileIdea } from '../shared/profile.ts';
import { type Finding, SECURITY_UPSTREAM, summarize, withIds } from './findings.ts';
import { PrivacyAssessment, type Threat, ThreatModel } from './schemas.ts';

const RULES = [
  'Every finding has a severity, a location and a remediation; `open` unless the control is shown upstream.',
];

export const privacy = defineAgent({
  id: 'security.privacy',
  purpose: 'Privacy assessment: inventory of personal data, lawful basis, retention, regulatory findings.',
  reads: SECURITY_UPSTREAM,
  produces: 'PrivacyAssessment',
  role: 'You are a privacy engineer (DPO office). You inventory personal data field by field and check each against the regulations of the domain.',
  task: 'Assess the privacy of the data model of the idea.',
  rules: RULES,
  outputSchema: PrivacyAssessment,
  offline(input) {
    const p = profileIdea(input.idea);
    const model = readArtifact(input, 'DataModel', DataModel);
    const inventory = (model?.entities ?? []).flatMap((e) =>
      e.fields
        .filter((f) => f.pii)
        .map((f) => ({
          entity: e.name,
          field: f.name,
          category:
            p.domain.key === 'health' && e.name === 'Patient'
              ? 'special category (health)'
              : 'contact or identity',
          lawfulBasis: 'contract',
          retention: '24 months after account closure',
        })),
    );
    const findings: Finding[] = [
      {
        severity: 'medium',
        cwe: 'CWE-359',
        title: `${inventory.length} personal-data fields need a retention schedule`,
        location: 'DataModel',
        status: 'mitigated',
        remediation: 'Retention of 24 months after closure, enforced by a nightly purge job.',
      },
    ];
    for (const regulation of p.domain.compliance.slice(0, 2)) {
      findings.push({
        severity: 'high',
        title: `${regulation}: data-protection impact assessment required`,
        location: 'whole system',
        status: 'mitigated',
        remediation: 'DPIA drafted from this inventory; sign-off before beta.',
      });
    }
    const withId = withIds('PRIV', 'privacy', findings);
    return {
      scanner: 'privacy',
      scanned: (model?.entities ?? []).map((e) => e.name),
      findings: withId,
      summary: summarize(withId),
      dataInventory: inventory,
    };
  },
});

const STRIDE_BY_KIND: Record<Component['kind'], [Threat['category'], string, string][]> = {
  frontend: [
    [
      'tampering',
      'Cross-site scripting injects script into {subject} pages',
      'Strict CSP, output encoding by the framework',
    ],
  ],
  gateway: [
    [
      'spoofing',
      'Stolen bearer token replayed against the API',
      'Short-lived tokens, audience check, token binding to session',
    ],
    ['denial-of-service', 'Request floods exhaust the API', 'Rate limits per token and per IP'],
  ],
  module: [
    [
      'elevation-of-privilege',
      "User edits another account's {subject} records by changing an id",
      'Ownership check in every handler; 403 tests',
    ],
  ],
  worker: [
    ['denial-of-service', 'Poison job blocks the queue', 'Retries with backoff and a dead-letter queue'],
  ],
  datastore: [
    [
      'information-disclosure',
      'Backup or replica exposes {subject} data',
      'Encryption at rest, private network, least-privilege roles',
    ],
  ],
  external: [
    ['spoofing', 'Forged webhook from the provider', 'Verify webhook signatures; idempotent handlers'],
  ],
};

export const threatModel = defineAgent({
  id: 'security.threat-model',
  purpose: 'STRIDE threat model: threats per architecture component, each with a mitigation.',
  reads: SECURITY_UPSTREAM,
  produces: 'ThreatModel',
  role: 'You are a threat modeller. You walk every component of the architecture with STRIDE and give each threat a mitigation and a status.',
  task: 'Build the threat model of the architecture: at least one mitigated threat per component.',
  rules: ['`componentId` is an ArchitectureSpec component id; cover every component.'],
  outputSchema: ThreatModel,
  offline(input) {
    const p = profileIdea(input.idea);
    const components =
      readArtifact(input, 'ArchitectureSpec', ArchitectureSpec)?.components ?? deriveComponents(p);
    const threats: Threat[] = components
      .flatMap((c) =>
        STRIDE_BY_KIND[c.kind].map(([category, description, mitigation]) => ({
          componentId: c.id,
          category,
          description: description.replace('{subject}', p.subject),
          mitigation,
          severity: 'high' as const,
          status: 'mitigated' as const,
        })),
      )
      .map((t, i) => ({ id: `TM-${i + 1}`, ...t }));
    return {
      method: 'STRIDE',
      assets: [
        `${p.subject} records`,
        'user accounts and sessions',
        ...p.entities.slice(0, 3).map((e) => `${e} data`),
      ],
      threats,
    };
  },
});

export const securityAssessments = [privacy, threatModel] as const;
