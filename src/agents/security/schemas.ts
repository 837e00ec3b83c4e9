import { z } from 'zod';
import { Id, ScanReport, Severity, Text } from '../shared/schemas.ts';

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
