import { z } from 'zod';
import { Id, IdList, Text } from '../shared/schemas.ts';

export const Component = z.object({
  id: Id,
  name: Text,
  kind: z.enum(['frontend', 'gateway', 'module', 'worker', 'datastore', 'external']),
  responsibility: Text,
  dependsOn: IdList,
  /** Feature keys it implements. */
  features: z.array(z.string()),
});
export type Component = z.infer<typeof Component>;

export const ArchitectureSpec = z.object({
  style: Text,
  summary: Text,
  components: z.array(Component),
  dataFlows: z.array(z.object({ from: Id, to: Id, data: Text })),
});
export type ArchitectureSpec = z.infer<typeof ArchitectureSpec>;

export const Endpoint = z.object({
  id: Id,
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  path: z.string().regex(/^\/[A-Za-z0-9/_{}.-]*$/),
  summary: Text,
  componentId: Id,
  /** User stories this endpoint serves. */
  storyIds: IdList,
  authRequired: z.boolean(),
  responses: z.array(z.number().int().min(100).max(599)).min(1),
});
export type Endpoint = z.infer<typeof Endpoint>;

export const ApiSpec = z.object({
  baseUrl: z.string().min(1),
  auth: Text,
  endpoints: z.array(Endpoint),
});
export type ApiSpec = z.infer<typeof ApiSpec>;

export const DataModel = z.object({
  entities: z
    .array(
      z.object({
        name: z.string().regex(/^[A-Z][A-Za-z0-9]*$/),
        fields: z
          .array(
            z.object({
              name: z.string().min(1),
              type: z.string().min(1),
              required: z.boolean(),
              pii: z.boolean(),
            }),
          )
          .min(1),
        relations: z.array(
          z.object({
            to: z.string().min(1),
            kind: z.enum(['one-to-one', 'one-to-many', 'many-to-one', 'many-to-many']),
          }),
        ),
      }),
    )
    .min(1),
});
export type DataModel = z.infer<typeof DataModel>;

export const ADRs = z.object({
  adrs: z.array(
    z.object({
      id: Id,
      title: Text,
      status: z.enum(['proposed', 'accepted', 'superseded']),
      context: Text,
      decision: Text,
      consequences: z.array(Text).min(1),
    }),
  ),
});
export type ADRs = z.infer<typeof ADRs>;
