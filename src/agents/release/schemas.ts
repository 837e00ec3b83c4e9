import { z } from 'zod';
import { Id, IdList, Text } from '../shared/schemas.ts';

export const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export const ReleaseNotes = z.object({
  version: z.string().regex(SEMVER),
  title: Text,
  summary: Text,
  highlights: z.array(Text),
  features: z.array(z.object({ title: Text, storyIds: IdList })),
  fixes: z.array(Text),
  knownIssues: z.array(Text),
  upgradeNotes: z.array(Text),
});
export type ReleaseNotes = z.infer<typeof ReleaseNotes>;

export const ReleaseDossier = z.object({
  version: z.string().regex(SEMVER),
  sections: z
    .array(z.object({ name: z.string().min(1), artifactTypes: z.array(z.string()), artifactIds: IdList }))
    .min(1),
  missing: z.array(z.string()),
});
export type ReleaseDossier = z.infer<typeof ReleaseDossier>;

export const DeployPlan = z.object({
  strategy: z.enum(['canary', 'blue-green', 'rolling']),
  environments: z.array(z.string().min(1)).min(1),
  steps: z.array(Text).min(1),
  canary: z.object({
    stages: z
      .array(z.object({ percent: z.number().min(0).max(100), minutes: z.number().int().positive() }))
      .min(1),
    abortOn: z.array(Text).min(1),
  }),
  rollback: z.object({ triggers: z.array(Text).min(1), steps: z.array(Text).min(1) }),
  owner: Id,
});
export type DeployPlan = z.infer<typeof DeployPlan>;
