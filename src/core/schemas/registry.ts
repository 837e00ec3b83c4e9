import { z } from 'zod';

/**
 * The contract registry: every published schema is registered here under a stable, versioned id
 * (`schema.<area>.<name>.v<N>`). A dedicated registry, rather than zod's global one, keeps the ids
 * out of every other `z.toJSONSchema` call in the process: only the exporter turns them into `$id`s.
 *
 * Versioning: a breaking change (a field removed, renamed or newly required) publishes `.v2` beside
 * `.v1`; an added optional field keeps the id (objects are strict, so regenerate `schemas/` with it).
 */
export interface ContractMeta {
  id: string;
}

export const contractRegistry = z.registry<ContractMeta>();

/** `schema.phase.context.v1`: lowercase dotted words ending in a version. */
export const CONTRACT_ID_PATTERN = /^schema(\.[a-z][a-z0-9]*)+\.v[1-9][0-9]*$/;

/** Registers `schema` under `id` and gives it a title and description for the JSON Schema. */
export function contract<T extends z.ZodType>(schema: T, id: string, title: string, description: string): T {
  if (!CONTRACT_ID_PATTERN.test(id))
    throw new Error(`contract id "${id}" does not match ${CONTRACT_ID_PATTERN}`);
  const described = schema.meta({ title, description }) as T;
  contractRegistry.add(described as z.ZodType, { id });
  return described;
}
