import type { z } from 'zod';
import type { AgentInput, ArtifactView } from '../../core/agent.ts';

/**
 * The latest artifact of `type` whose content matches `schema`, or undefined. Synthesizers fall back
 * to deriving from the idea when an upstream artifact is missing (its agent ran in parallel) or was
 * written by a model in a shape they do not understand.
 */
export function readArtifact<T>(input: AgentInput, type: string, schema: z.ZodType<T>): T | undefined {
  const views = input.artifacts[type] ?? [];
  for (let i = views.length - 1; i >= 0; i--) {
    const parsed = schema.safeParse(views[i]?.content);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

/** Every artifact of `type` whose content matches `schema`, oldest first: fan-in over shards. */
export function readAllArtifacts<T>(input: AgentInput, type: string, schema: z.ZodType<T>): T[] {
  const out: T[] = [];
  for (const view of input.artifacts[type] ?? []) {
    const parsed = schema.safeParse(view.content);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** The same lookup over a flat list, as guards receive it. */
export function findArtifact<T>(
  artifacts: readonly ArtifactView[],
  type: string,
  schema: z.ZodType<T>,
): T | undefined {
  for (let i = artifacts.length - 1; i >= 0; i--) {
    const view = artifacts[i];
    if (view?.type !== type) continue;
    const parsed = schema.safeParse(view.content);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

/** Every artifact of `type` whose content matches `schema`, with its id. */
export function findAllArtifacts<T>(
  artifacts: readonly ArtifactView[],
  type: string,
  schema: z.ZodType<T>,
): { id: string; content: T }[] {
  const out: { id: string; content: T }[] = [];
  for (const view of artifacts) {
    if (view.type !== type) continue;
    const parsed = schema.safeParse(view.content);
    if (parsed.success) out.push({ id: view.id, content: parsed.data });
  }
  return out;
}
