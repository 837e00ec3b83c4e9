import type { Context } from 'hono';
import { coerceError, httpStatusFor, type IdeaMineError } from '../core/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { redactTokens } from './tokens.ts';

/**
 * Failures that exist only at the HTTP edge (no token, wrong scope, body too large, rate limited).
 * Everything else is an IdeaMineError, mapped to a status by `httpStatusFor` in core — one table.
 */
export class HttpProblem extends Error {
  readonly status: 401 | 403 | 404 | 413 | 429;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(
    status: 401 | 403 | 404 | 413 | 429,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpProblem';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const unauthorized = (message: string) =>
  new HttpProblem(401, 'UNAUTHORIZED', message, { 'WWW-Authenticate': 'Bearer' });
export const forbidden = (message: string) => new HttpProblem(403, 'FORBIDDEN', message);
export const payloadTooLarge = (limitBytes: number) =>
  new HttpProblem(413, 'PAYLOAD_TOO_LARGE', `the request body is over the limit of ${limitBytes} bytes`);
export const rateLimited = (retryAfterS: number) =>
  new HttpProblem(429, 'RATE_LIMITED', `too many requests for this token; retry in ${retryAfterS} s`, {
    'Retry-After': String(retryAfterS),
  });

/**
 * The app's error handler: the body is `{ error: { code, message, issues? } }`. A 5xx answers with
 * the code only and logs the message (redacted): internal messages can carry connection details.
 */
export function errorResponse(error: unknown, c: Context, logger: Logger): Response {
  if (error instanceof HttpProblem) {
    for (const [k, v] of Object.entries(error.headers)) c.header(k, v);
    return c.json({ error: { code: error.code, message: error.message } }, error.status);
  }
  const e: IdeaMineError = coerceError(error);
  const status = httpStatusFor(e.code) as 400 | 402 | 404 | 409 | 500 | 501 | 503;
  if (status >= 500) {
    logger.error(
      { code: e.code, method: c.req.method, path: c.req.path, err: redactTokens(e.message) },
      'API request failed',
    );
    const message = status === 500 ? 'internal error (logged by the server)' : redactTokens(e.message);
    return c.json({ error: { code: e.code, message } }, status);
  }
  const issues = e.details['issues'];
  return c.json(
    {
      error: { code: e.code, message: redactTokens(e.message), ...(Array.isArray(issues) ? { issues } : {}) },
    },
    status,
  );
}
