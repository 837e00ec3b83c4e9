import { z } from 'zod';
import { Id, Text } from '../shared/schemas.ts';

export const StoryStatus = z.enum(['todo', 'in-progress', 'done', 'blocked']);

export const DevStories = z.object({
  stories: z.array(
    z.object({
      id: Id,
      userStoryId: Id,
      moduleId: Id,
      title: Text,
      tasks: z.array(Text).min(1),
      points: z.number().int().positive(),
      status: StoryStatus,
    }),
  ),
});
export type DevStories = z.infer<typeof DevStories>;

export const RefinedStories = z.object({
  iteration: z.number().int().positive(),
  stories: z.array(
    z.object({
      id: Id,
      userStoryId: Id,
      status: StoryStatus,
      definitionOfDone: z.array(Text).min(1),
      notes: Text,
    }),
  ),
});
export type RefinedStories = z.infer<typeof RefinedStories>;
