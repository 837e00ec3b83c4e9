import { z } from 'zod';
import type { Idea } from '../agent.ts';
import { contract } from './registry.ts';

/** The idea a run starts from (the `Idea` interface of the agent contract, as a schema). */
export const IdeaSchema = contract(
  z.strictObject({
    title: z.string().min(1).max(200),
    description: z.string().max(20_000),
    audience: z.string().optional(),
    constraints: z.array(z.string()).optional(),
  }),
  'schema.idea.v1',
  'Idea',
  'The idea a run turns into a release.',
);

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Fails to compile when this schema and the `Idea` interface drift apart. */
export const IDEA_SCHEMA_MATCHES_CONTRACT: Same<z.infer<typeof IdeaSchema>, Idea> = true;
