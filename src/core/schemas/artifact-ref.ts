import { z } from 'zod';
import { IdSchema, Sha256Schema } from './common.ts';
import { contract } from './registry.ts';

/**
 * A pointer to a stored artifact: enough to fetch it and to prove it has not changed since the
 * evidence was gathered (the hash is sha256 over the artifact's canonical JSON).
 */
export const ArtifactRefSchema = contract(
  z.strictObject({
    id: IdSchema,
    type: z.string().min(1).describe('Artifact type, e.g. IdeaSpec or PRD.'),
    hash: Sha256Schema,
    name: z.string().optional(),
  }),
  'schema.artifact.ref.v1',
  'ArtifactRef',
  'A reference to a stored artifact by id, type and content hash.',
);
export type ArtifactRef = z.infer<typeof ArtifactRefSchema>;
