import { z } from 'zod';
import { Text } from '../shared/schemas.ts';

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

export const BrandReport = z.object({
  palette: z.array(z.object({ name: z.string().min(1), hex: z.string().regex(/^#[0-9a-f]{6}$/) })).min(1),
  typography: Text,
  voice: Text,
  checks: z.array(z.object({ name: Text, passed: z.boolean(), note: Text })).min(1),
});
export type BrandReport = z.infer<typeof BrandReport>;
