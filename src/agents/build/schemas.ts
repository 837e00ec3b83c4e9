import { z } from 'zod';
import { Dependency } from '../ideation/schemas.ts';
import { Id, IdList, Text } from '../shared/schemas.ts';

export const RepoScaffold = z.object({
  repository: z.string().min(1),
  language: z.string().min(1),
  files: z.array(z.object({ path: z.string().min(1), purpose: Text, content: z.string().optional() })).min(1),
  scripts: z.record(z.string(), z.string()),
});
export type RepoScaffold = z.infer<typeof RepoScaffold>;

export const BuildPlan = z.object({
  modules: z.array(
    z.object({
      id: Id,
      componentId: Id,
      name: Text,
      storyIds: IdList,
      tasks: z.array(Text).min(1),
      estimateDays: z.number().positive(),
    }),
  ),
  dependencies: z.array(Dependency),
  milestones: z.array(z.object({ name: Text, moduleIds: IdList })).min(1),
});
export type BuildPlan = z.infer<typeof BuildPlan>;

export const CiPipeline = z.object({
  provider: z.string().min(1),
  stages: z.array(z.object({ name: z.string().min(1), jobs: z.array(Text).min(1), blocking: z.boolean() })),
});
export type CiPipeline = z.infer<typeof CiPipeline>;
