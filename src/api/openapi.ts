import { z } from 'zod';
import type { RouteSpec } from './route-table.ts';

/**
 * The OpenAPI 3.1 document, generated from the same RouteSpecs that register the routes. Schemas with
 * a zod `meta({ id })` become `components.schemas` entries referenced by `$ref`.
 */

type Json = Record<string, unknown>;

/** `/api/runs/:id` → `/api/runs/{id}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

export function buildOpenApiDocument(specs: readonly RouteSpec[]): Json {
  const components: Record<string, unknown> = {};
  const convert = (schema: z.ZodType, io: 'input' | 'output'): Json => {
    const {
      $defs,
      $schema: _,
      ...rest
    } = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
    }) as Json & { $defs?: Record<string, Json> };
    for (const [id, def] of Object.entries($defs ?? {})) components[id] = rewriteRefs(def);
    return rewriteRefs(rest) as Json;
  };
  const paths: Record<string, Json> = {};
  for (const spec of specs) {
    const path = openApiPath(spec.path);
    const operation: Json = {
      operationId: `${spec.method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ?? '').toUpperCase())}`,
      summary: spec.summary,
      tags: [spec.tag],
      ...(spec.scopes === 'public' ? { security: [] } : { 'x-scopes': spec.scopes }),
      parameters: [
        ...parametersOf(spec.params, 'path', convert),
        ...parametersOf(spec.query, 'query', convert),
      ],
      ...(spec.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: convert(spec.body, 'input') } },
            },
          }
        : {}),
      responses: Object.fromEntries(
        Object.entries(spec.responses).map(([status, r]) => [
          status,
          {
            description: r.description,
            ...(r.schema
              ? { content: { 'application/json': { schema: convert(r.schema, 'output') } } }
              : r.contentType
                ? { content: { [r.contentType]: {} } }
                : {}),
          },
        ]),
      ),
    };
    paths[path] = { ...(paths[path] ?? {}), [spec.method]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'IdeaMine API',
      version: '0.1.0',
      description:
        'Runs, phases, events (SSE), artifacts and the internal task, gate and refinery endpoints. Every /api route needs `Authorization: Bearer im_…` with one of the scopes listed in its `x-scopes` (admin admits everything).',
    },
    components: {
      schemas: components,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

function parametersOf(
  schema: z.ZodType | undefined,
  where: 'path' | 'query',
  convert: (s: z.ZodType, io: 'input' | 'output') => Json,
): Json[] {
  if (!schema) return [];
  const json = convert(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : rewriteRefs(v),
    ]),
  );
}
