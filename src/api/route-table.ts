import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { ErrorCode, IdeaMineError, invalidInput } from '../core/errors.ts';
import { jsonDepth } from '../engine/task-submission.ts';
import { type ApiEnv, requireScope, type Scope } from './auth.ts';
import { payloadTooLarge } from './http-errors.ts';
import { ErrorResponseSchema } from './schemas.ts';

/**
 * Every API route is declared once as a `RouteSpec`: method, path, the scopes that may call it, the
 * zod schemas of its params, query, body and responses. The same declaration registers the Hono
 * handler (with scope check, body limit and validation in front of it) and feeds the OpenAPI document,
 * so the two cannot drift apart.
 */

export type HttpMethod = 'get' | 'post';

export interface ResponseSpec {
  description: string;
  /** JSON body schema; omitted for non-JSON bodies (give `contentType`). */
  schema?: z.ZodType;
  contentType?: string;
}

/** An error response of a route: the `{ error: { code, message, issues? } }` body. */
export const problem = (description: string): ResponseSpec => ({ description, schema: ErrorResponseSchema });
export const INVALID_REQUEST = problem('invalid request (each field and why)');

export interface RouteSpec<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: HttpMethod;
  /** Hono path syntax (`/api/runs/:id`). */
  path: string;
  summary: string;
  tag: string;
  /** Any one of these scopes admits the caller; `public` needs no token. */
  scopes: readonly Scope[] | 'public';
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

/** A POST without a body schema takes none (or `{}`): options a client thinks it sent are not ignored. */
const NoBody = z.strictObject({});

/** Nesting deeper than this is refused before any schema sees the body. */
export const MAX_BODY_DEPTH = 32;

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

export class RouteTable {
  readonly #app: Hono<ApiEnv>;
  readonly #maxBodyBytes: number;
  readonly #guards: readonly MiddlewareHandler<ApiEnv>[];
  readonly specs: RouteSpec[] = [];

  /** `guards` run first on every non-public route: authentication, then the rate limit. */
  constructor(
    app: Hono<ApiEnv>,
    options: { maxBodyBytes: number; guards: readonly MiddlewareHandler<ApiEnv>[] },
  ) {
    this.#app = app;
    this.#maxBodyBytes = options.maxBodyBytes;
    this.#guards = options.guards;
  }

  add<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
    spec: RouteSpec<P, Q, B>,
    handler: (
      c: Context<ApiEnv>,
      input: RouteInput<Infer<P>, Infer<Q>, Infer<B>>,
    ) => Response | Promise<Response>,
  ): void {
    this.specs.push(spec as unknown as RouteSpec);
    const limit = bodyLimit({
      maxSize: this.#maxBodyBytes,
      onError: () => {
        throw payloadTooLarge(this.#maxBodyBytes);
      },
    });
    const middleware = [
      ...(spec.scopes === 'public' ? [] : [...this.#guards, requireScope(spec.scopes)]),
      ...(spec.method === 'post' ? [limit] : []),
    ];
    this.#app.on(spec.method.toUpperCase(), [spec.path], ...middleware, async (c) => {
      const params = spec.params ? parseWith(spec.params, c.req.param(), 'path') : undefined;
      const query = spec.query ? parseWith(spec.query, c.req.query(), 'query') : undefined;
      const bodySchema = spec.body ?? (spec.method === 'post' ? NoBody : undefined);
      const body = bodySchema ? parseWith(bodySchema, await readJsonBody(c), 'body') : undefined;
      return handler(c, { params, query, body } as RouteInput<Infer<P>, Infer<Q>, Infer<B>>);
    });
  }
}

async function readJsonBody(c: Context<ApiEnv>): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalidInput('the request body is not valid JSON', {
      issues: [{ field: '(body)', reason: (error as Error).message }],
    });
  }
  if (jsonDepth(value, MAX_BODY_DEPTH) > MAX_BODY_DEPTH)
    throw invalidInput(`the request body is nested deeper than ${MAX_BODY_DEPTH} levels`, {
      issues: [{ field: '(body)', reason: `nested deeper than ${MAX_BODY_DEPTH} levels` }],
    });
  return value;
}

/** Validates one part of a request; a failure is a 400 naming each field and why. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({
    field: i.path.length > 0 ? i.path.join('.') : `(${where})`,
    reason: i.message,
  }));
  throw invalidInput(`invalid ${where}: ${issues.map((i) => `${i.field}: ${i.reason}`).join('; ')}`, {
    issues,
  });
}

/** A run, task or artifact id in a path. */
export const IdParams = z.strictObject({ id: z.guid() });

export function notFound(what: string): IdeaMineError {
  return new IdeaMineError(ErrorCode.notFound, `no ${what}`);
}
