import { z } from 'zod';
import { ArtifactRefSchema } from './artifact-ref.ts';
import { AssumptionSchema } from './assumption.ts';
import { BudgetsSchema, UsageSchema } from './budgets.ts';
import { EventSchema } from './event.ts';
import { EvidencePackSchema } from './evidence-pack.ts';
import { GateResultSchema } from './gate-result.ts';
import { GuardReportSchema } from './guard-report.ts';
import { HeartbeatSchema } from './heartbeat.ts';
import { IdeaSchema } from './idea.ts';
import { PhaseContextSchema } from './phase-context.ts';
import { PhasePlanSchema } from './phase-plan.ts';
import { CONTRACT_ID_PATTERN, contractRegistry } from './registry.ts';
import { RubricsSchema } from './rubric.ts';
import { RunPlanSchema } from './run-plan.ts';
import { TaskSpecSchema } from './task-spec.ts';
import { WaiverSchema } from './waiver.ts';

/**
 * Every published contract. Listing them here (rather than relying on import side effects) is what
 * guarantees each one is registered before the registry is converted.
 */
export const CONTRACT_SCHEMAS: readonly z.ZodType[] = [
  ArtifactRefSchema,
  AssumptionSchema,
  BudgetsSchema,
  EventSchema,
  EvidencePackSchema,
  GateResultSchema,
  GuardReportSchema,
  HeartbeatSchema,
  IdeaSchema,
  PhaseContextSchema,
  PhasePlanSchema,
  RubricsSchema,
  RunPlanSchema,
  TaskSpecSchema,
  UsageSchema,
  WaiverSchema,
];

export type JsonSchemaDocument = Record<string, unknown> & { $id: string };

/**
 * JSON Schema (draft 2020-12) for every contract, keyed by `$id`. A contract used inside another is
 * referenced by its `$id` (`{"$ref": "schema.budgets.v1"}`), so a validator loaded with all the files
 * resolves every reference without network access.
 */
export function contractJsonSchemas(): Map<string, JsonSchemaDocument> {
  for (const schema of CONTRACT_SCHEMAS) {
    const id = contractRegistry.get(schema)?.id;
    if (!id || !CONTRACT_ID_PATTERN.test(id))
      throw new Error('a contract schema is not registered with an id');
  }
  const { schemas } = z.toJSONSchema(contractRegistry, { uri: (id) => id, target: 'draft-2020-12' });
  const out = new Map<string, JsonSchemaDocument>();
  for (const id of Object.keys(schemas).sort()) {
    out.set(id, schemas[id] as JsonSchemaDocument);
  }
  return out;
}

/** The checked-in files: `<$id>.json` → pretty-printed text with a trailing newline. */
export function contractSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [id, schema] of contractJsonSchemas()) {
    files.set(`${id}.json`, `${JSON.stringify(schema, null, 2)}\n`);
  }
  return files;
}
