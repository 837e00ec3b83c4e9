import { describe, expect, it } from 'vitest';
import { view } from '../testing/guard-fixtures.ts';
import { NO_EVIDENCE_COUNT } from './guard.ts';
import { securityGuard } from './security.ts';

describe('security guard', () => {
  const finding = (id: string, severity: string, status: string, extra: Record<string, string> = {}) => ({
    id,
    scanner: 's',
    severity,
    title: 't',
    location: 'l',
    status,
    remediation: 'r',
    ...extra,
  });
  const components = view('ArchitectureSpec', {
    style: 's',
    summary: 's',
    components: ['web', 'api', 'db', 'worker'].map((id) => ({
      id,
      name: id,
      kind: 'module',
      responsibility: 'r',
      dependsOn: [],
      features: [],
    })),
    dataFlows: [],
  });
  const threat = (componentId: string, mitigation?: string) => ({
    id: componentId,
    componentId,
    category: 'spoofing',
    description: 'd',
    severity: 'high',
    status: mitigation ? 'mitigated' : 'open',
    ...(mitigation ? { mitigation } : {}),
  });

  it('measures threat-model coverage over the architecture components, and warns on open high threats', () => {
    const result = securityGuard.evaluate([
      components,
      view('ThreatModel', {
        method: 'STRIDE',
        assets: ['a'],
        threats: [threat('web', 'csp'), threat('api', 'tokens'), threat('db')],
      }),
    ]);
    expect(result.metrics['threat_model_coverage']).toBe(0.5);
    expect(result.findings.some((f) => f.severity === 'warning' && f.message.includes('threat db'))).toBe(
      true,
    );
  });

  it('counts PII fields missing from the privacy inventory and open high privacy findings', () => {
    const field = (name: string, pii: boolean) => ({ name, type: 'text', required: true, pii });
    const dataModel = view('DataModel', {
      entities: [
        { name: 'User', fields: [field('email', true), field('plan', false)], relations: [] },
        { name: 'Patient', fields: [field('fullName', true), field('dateOfBirth', true)], relations: [] },
      ],
    });
    const entry = (entity: string, fieldName: string) => ({
      entity,
      field: fieldName,
      category: 'identity',
      lawfulBasis: 'contract',
      retention: '24 months',
    });
    const privacy = (findings: unknown[]) =>
      view('PrivacyAssessment', {
        scanner: 'privacy',
        scanned: [],
        findings,
        summary: 's',
        dataInventory: [entry('user', 'Email'), entry('Patient', 'fullName')],
      });
    const result = securityGuard.evaluate([
      dataModel,
      privacy([
        finding('P1', 'high', 'open'),
        finding('P2', 'medium', 'open'),
        finding('P3', 'high', 'fixed'),
      ]),
    ]);
    // Patient.dateOfBirth is not inventoried; P1 is open and high.
    expect(result.metrics['unprotected_pii']).toBe(2);
    expect(securityGuard.evaluate([dataModel]).metrics['unprotected_pii']).toBe(4);
  });

  it('never passes a rubric without the evidence behind it, and reports no scanner figures', () => {
    const result = securityGuard.evaluate([components]);
    // Secrets, static analysis, the audit and the SBOM are tools' (security-metrics.ts), never a guard's.
    expect(result.metrics).toEqual({ threat_model_coverage: 0, unprotected_pii: 1 });
    expect(result.findings.some((f) => f.message.startsWith('no valid ThreatModel'))).toBe(true);
  });
});
