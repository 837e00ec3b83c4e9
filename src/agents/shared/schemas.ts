import { z } from 'zod';

/** Building blocks shared by the artifact schemas of several phases. */

export const Severity = z.enum(['critical', 'high', 'medium', 'low', 'info']);
export type Severity = z.infer<typeof Severity>;

/** `open` counts against gates; the others say why it no longer does. */
export const FindingStatus = z.enum(['open', 'mitigated', 'fixed', 'accepted']);
export type FindingStatus = z.infer<typeof FindingStatus>;

export const Id = z.string().min(1).max(80);
export const Text = z.string().min(1).max(2_000);
export const IdList = z.array(Id);

/** One result of one security scanner. */
export const SecurityFinding = z.object({
  id: Id,
  scanner: z.string().min(1),
  severity: Severity,
  title: Text,
  /** e.g. `CWE-89`. */
  cwe: z
    .string()
    .regex(/^CWE-\d+$/)
    .optional(),
  /** e.g. `CVE-2021-44906`. */
  cve: z
    .string()
    .regex(/^CVE-\d{4}-\d{4,}$/)
    .optional(),
  location: Text,
  status: FindingStatus,
  remediation: Text,
});
export type SecurityFinding = z.infer<typeof SecurityFinding>;

/** The shape every scanner agent produces: what it looked at and what it found. */
export const ScanReport = z.object({
  scanner: z.string().min(1),
  /** What was scanned: files, packages, endpoints, resources. */
  scanned: z.array(z.string()),
  findings: z.array(SecurityFinding),
  summary: Text,
});
export type ScanReport = z.infer<typeof ScanReport>;
