import { z } from 'zod';
import { Id, ScanReport, Severity, Text } from '../shared/schemas.ts';

/** Artifact types of the security phase, one per scanner. */
export const SECURITY_REPORT_TYPES = [
  'SecretsScan',
  'ScaReport',
  'SastReport',
  'IacScan',
  'ContainerScan',
  'PrivacyAssessment',
  'DastReport',
  'SupplyChainReport',
] as const;

export const PrivacyAssessment = ScanReport.extend({
  dataInventory: z.array(
    z.object({
      entity: z.string().min(1),
      field: z.string().min(1),
      category: Text,
      lawfulBasis: Text,
      retention: Text,
    }),
  ),
});
export type PrivacyAssessment = z.infer<typeof PrivacyAssessment>;

export const SupplyChainReport = ScanReport.extend({
  sbom: z.object({
    format: z.literal('CycloneDX'),
    components: z.array(
      z.object({
        name: z.string().min(1),
        version: z.string().min(1),
        license: z.string().min(1),
        purl: z.string().min(1),
      }),
    ),
  }),
});
export type SupplyChainReport = z.infer<typeof SupplyChainReport>;

export const Threat = z.object({
  id: Id,
  /** Architecture component id. */
  componentId: Id,
  category: z.enum([
    'spoofing',
    'tampering',
    'repudiation',
    'information-disclosure',
    'denial-of-service',
    'elevation-of-privilege',
  ]),
  description: Text,
  severity: Severity,
  mitigation: Text.optional(),
  status: z.enum(['open', 'mitigated', 'accepted']),
});
export type Threat = z.infer<typeof Threat>;

export const ThreatModel = z.object({
  method: z.literal('STRIDE'),
  assets: z.array(Text).min(1),
  threats: z.array(Threat),
});
export type ThreatModel = z.infer<typeof ThreatModel>;
