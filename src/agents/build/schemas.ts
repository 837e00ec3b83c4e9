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

/** A file of the application, as a model writes it: a relative POSIX path and its full text. */
export const SourceFile = z.object({
  path: z
    .string()
    .min(1)
    .max(300)
    .regex(/^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._\-/]+$/, 'a relative path inside the repository'),
  content: z.string().max(200_000),
});
export type SourceFile = z.infer<typeof SourceFile>;

/** The whole application the build writes into the run's workspace. */
export const SourceTree = z.object({
  kind: z.enum(['service', 'cli']),
  files: z.array(SourceFile).min(1),
});
export type SourceTree = z.infer<typeof SourceTree>;

/** A fixer's change to the workspace, with what it diagnosed from the real test output. */
export const CodePatch = z.object({
  files: z.array(SourceFile),
  deletions: z.array(z.string().min(1)).optional(),
  diagnosis: z.array(z.object({ test: z.string(), files: z.array(z.string()), cause: z.string() })),
});
export type CodePatch = z.infer<typeof CodePatch>;

/** The workspace as committed, given to fixers on a later gate attempt (see phase-coordinator #fixContext). */
export const WorkspaceSnapshot = z.object({
  commit: z.string().nullable(),
  files: z.array(z.object({ path: z.string(), content: z.string() })),
});
export type WorkspaceSnapshot = z.infer<typeof WorkspaceSnapshot>;
