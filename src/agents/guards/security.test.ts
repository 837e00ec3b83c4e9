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
  const report = (type: string, findings: unknown[]) =>
    view(type, { scanner: type, scanned: [], findings, summary: 's' });
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

  it('counts open critical CVEs, secrets and SAST findings, and open high findings everywhere', () => {
    const result = securityGuard.evaluate([
      components,
      report('ScaReport', [
        finding('S1', 'critical', 'open', { cve: 'CVE-2021-44906' }),
        finding('S2', 'critical', 'fixed', { cve: 'CVE-2021-23337' }),
        finding('S3', 'critical', 'open'),
      ]),
      report('SecretsScan', [finding('K1', 'low', 'open'), finding('K2', 'critical', 'fixed')]),
      report('SastReport', [finding('A1', 'critical', 'mitigated'), finding('A2', 'high', 'open')]),
      report('DastReport', [finding('D1', 'high', 'accepted')]),
      view('ThreatModel', {
        method: 'STRIDE',
        assets: ['a'],
        threats: [threat('web', 'csp'), threat('api', 'tokens'), threat('db')],
      }),
    ]);
    expect(result.metrics).toMatchObject({
      critical_cves: 1,
      secrets: 1,
      critical_sast: 0,
      // S1, S3, A2 and the open high threat on db.
      high_findings_unmitigated: 4,
      threat_model_coverage: 0.5,
    });
  });

  it('counts critical IaC findings and high CVEs, exactly high and with a CVE id', () => {
    const cve = (id: string) => ({ cve: id });
    const result = securityGuard.evaluate([
      report('ScaReport', [
        finding('S1', 'high', 'open', cve('CVE-2022-0001')),
        finding('S2', 'high', 'open', cve('CVE-2022-0002')),
        finding('S3', 'high', 'fixed', cve('CVE-2022-0003')),
        finding('S4', 'high', 'open'),
        finding('S5', 'critical', 'open', cve('CVE-2022-0005')),
      ]),
      report('IacScan', [finding('I1', 'critical', 'open'), finding('I2', 'high', 'open')]),
    ]);
    expect(result.metrics).toMatchObject({ high_cves: 2, critical_cves: 1, critical_iac: 1 });
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

  it('needs an SBOM with at least one component', () => {
    const supplyChain = (components: unknown[]) =>
      view('SupplyChainReport', {
        scanner: 'supply-chain',
        scanned: [],
        findings: [],
        summary: 's',
        sbom: { format: 'CycloneDX', components },
      });
    const component = { name: 'zod', version: '4.0.0', license: 'MIT', purl: 'pkg:npm/zod@4.0.0' };
    expect(securityGuard.evaluate([supplyChain([component])]).metrics['sbom']).toBe(true);
    expect(securityGuard.evaluate([supplyChain([])]).metrics['sbom']).toBe(false);
    expect(securityGuard.evaluate([]).metrics['sbom']).toBe(false);
  });

  it('reads the latest report of a scanner: a re-scan replaces the earlier one', () => {
    const cve = { cve: 'CVE-2021-44906' };
    const result = securityGuard.evaluate([
      report('ScaReport', [finding('S1', 'critical', 'open', cve)]),
      report('ScaReport', [finding('S1', 'critical', 'fixed', cve)]),
    ]);
    expect(result.metrics['critical_cves']).toBe(0);
    expect(result.metrics['high_findings_unmitigated']).toBe(0);
  });

  it('never passes a hard rubric without the scan behind it', () => {
    const result = securityGuard.evaluate([components]);
    expect(result.metrics).toMatchObject({
      critical_cves: 1,
      secrets: 1,
      critical_sast: 1,
      threat_model_coverage: 0,
      critical_iac: 1,
      high_cves: NO_EVIDENCE_COUNT,
      unprotected_pii: 1,
      sbom: false,
    });
    // One note per missing scan, however many metrics read it.
    const missingSca = result.findings.filter((f) => f.message.startsWith('no valid ScaReport'));
    expect(missingSca).toHaveLength(1);
  });
});
