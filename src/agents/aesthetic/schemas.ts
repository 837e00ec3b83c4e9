import { z } from 'zod';
import { Id, Text } from '../shared/schemas.ts';

export const UiAudit = z.object({
  screens: z
    .array(
      z.object({
        name: Text,
        score: z.number().min(0).max(100),
        issues: z.array(
          z.object({ severity: z.enum(['high', 'medium', 'low']), description: Text, fix: Text }),
        ),
      }),
    )
    .min(1),
  overallScore: z.number().min(0).max(100),
});
export type UiAudit = z.infer<typeof UiAudit>;

export const AccessibilityReport = z.object({
  standard: z.literal('WCAG 2.2'),
  targetLevel: z.enum(['A', 'AA', 'AAA']),
  screens: z.array(Text).min(1),
  findings: z.array(
    z.object({
      id: Id,
      /** Success criterion number, e.g. `1.4.3`. */
      criterion: z.string().regex(/^\d\.\d{1,2}\.\d{1,2}$/),
      level: z.enum(['A', 'AA', 'AAA']),
      impact: z.enum(['critical', 'serious', 'moderate', 'minor']),
      screen: Text,
      description: Text,
      status: z.enum(['open', 'fixed']),
    }),
  ),
});
export type AccessibilityReport = z.infer<typeof AccessibilityReport>;

export const BrandReport = z.object({
  palette: z.array(z.object({ name: z.string().min(1), hex: z.string().regex(/^#[0-9a-f]{6}$/) })).min(1),
  typography: Text,
  voice: Text,
  checks: z.array(z.object({ name: Text, passed: z.boolean(), note: Text })).min(1),
});
export type BrandReport = z.infer<typeof BrandReport>;
