import { APICallError, LoadAPIKeyError, RetryError } from 'ai';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import { cancelledError, retryAfterMs, scrubSecrets } from './model-errors.ts';

/**
 * Maps whatever a provider call threw onto IdeaMineError's retry semantics. The engine owns retries
 * (the SDK's are disabled), so the class chosen here decides what happens next:
 *   429 → rate_limit (+ Retry-After) · 5xx, network, timeout → transient · 401/403, context length,
 *   other 4xx → fatal · 404 → INVALID_CONFIG (wrong model id or base URL).
 * Messages never carry API keys: known secrets and key-shaped tokens are scrubbed.
 */

export interface ErrorContext {
  /** `<provider>:<model>`. */
  modelId: string;
  /** The env var a user sets to fix an auth failure, e.g. `OPENAI_API_KEY`. */
  credentialEnvVar?: string;
  secrets: readonly string[];
  timeoutMs: number;
  timedOut: boolean;
  cancelled: boolean;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
const CONTEXT_LENGTH =
  /context[_ ]length|maximum context|context window|prompt is too long|too many (input )?tokens|input is too long/i;

export function classifyModelError(error: unknown, ctx: ErrorContext): IdeaMineError {
  if (error instanceof IdeaMineError) return error;
  const inner = RetryError.isInstance(error) ? error.lastError : error;
  if (ctx.timedOut) {
    return new IdeaMineError(ErrorCode.modelError, `${ctx.modelId}: no answer within ${ctx.timeoutMs} ms`, {
      errorClass: ErrorClass.transient,
      details: { model: ctx.modelId, reason: 'timeout', timeoutMs: ctx.timeoutMs },
      cause: inner,
    });
  }
  if (ctx.cancelled) return cancelledError(inner);
  if (LoadAPIKeyError.isInstance(inner)) return authError(ctx, undefined);
  if (APICallError.isInstance(inner)) return fromApiCallError(inner, ctx);
  const message = scrubSecrets(inner instanceof Error ? inner.message : String(inner), ctx.secrets);
  const network = networkCode(inner);
  return new IdeaMineError(ErrorCode.modelError, `${ctx.modelId}: ${message}`, {
    errorClass: ErrorClass.transient,
    details: {
      model: ctx.modelId,
      reason: network ? 'network' : 'unknown',
      ...(network ? { code: network } : {}),
    },
    cause: inner,
  });
}

interface Verdict {
  code: ErrorCode;
  errorClass: ErrorClass;
  reason: string;
  summary: string;
}

function fromApiCallError(error: APICallError, ctx: ErrorContext): IdeaMineError {
  const status = error.statusCode;
  if (status === 401 || status === 403) return authError(ctx, status);
  const verdict = judge(
    status,
    scrubSecrets(error.message, ctx.secrets),
    `${error.message} ${error.responseBody ?? ''}`,
  );
  const wait = verdict.errorClass === ErrorClass.rateLimit ? retryAfterMs(error.responseHeaders) : undefined;
  return new IdeaMineError(verdict.code, `${ctx.modelId}: ${verdict.summary}`, {
    errorClass: verdict.errorClass,
    details: { model: ctx.modelId, status, reason: verdict.reason },
    // The raw error keeps the provider's response body, which may echo credentials: keep it as the
    // cause only when no response came back (network failures), where it explains the socket error.
    ...(status === undefined ? { cause: error } : {}),
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
  });
}

/** `message` is safe to show (scrubbed); `text` (message + body) is only matched against. */
function judge(status: number | undefined, message: string, text: string): Verdict {
  const { transient, rateLimit, fatal } = ErrorClass;
  const model = (errorClass: ErrorClass, reason: string, summary: string): Verdict => ({
    code: ErrorCode.modelError,
    errorClass,
    reason,
    summary,
  });
  if (status === undefined) return model(transient, 'network', `cannot reach the provider: ${message}`);
  if (status === 429) {
    // OpenAI answers 429 for an exhausted account too; waiting will not fix that.
    return /insufficient_quota/.test(text)
      ? model(fatal, 'quota', `quota exhausted (HTTP 429): ${message}`)
      : model(rateLimit, 'rate_limit', 'rate limited (HTTP 429)');
  }
  if (status < 500 && CONTEXT_LENGTH.test(text)) {
    return model(fatal, 'context_length', `prompt exceeds the context window: ${message}`);
  }
  if (status === 404) {
    const summary = `model or endpoint not found (HTTP 404): ${message}; check the model id and base URL`;
    return { code: ErrorCode.invalidConfig, errorClass: fatal, reason: 'not_found', summary };
  }
  if (status >= 500 || status === 408 || status === 409) {
    return model(transient, 'server', `provider error (HTTP ${status}): ${message}`);
  }
  return model(fatal, 'rejected', `request rejected (HTTP ${status}): ${message}`);
}

/** Deliberately drops the provider's message and cause: auth responses may echo (masked) keys. */
function authError(ctx: ErrorContext, status: number | undefined): IdeaMineError {
  const fix = ctx.credentialEnvVar ? `set ${ctx.credentialEnvVar} to a valid API key` : 'check the API key';
  const what = status === undefined ? 'no API key configured' : `authentication failed (HTTP ${status})`;
  return new IdeaMineError(ErrorCode.modelError, `${ctx.modelId}: ${what}; ${fix}`, {
    errorClass: ErrorClass.fatal,
    details: {
      model: ctx.modelId,
      status,
      reason: 'auth',
      ...(ctx.credentialEnvVar ? { envVar: ctx.credentialEnvVar } : {}),
    },
  });
}

function networkCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    current = current.cause;
  }
  return undefined;
}
