import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';

/** Error helpers shared by every model driver; free of the AI SDK so the offline model stays light. */

/** Provider key shapes (OpenAI `sk-…`, `sk-proj-…`, Anthropic `sk-ant-…`), even partially masked. */
const KEY_SHAPED = /\bsk-[A-Za-z0-9_*-]{6,}/g;

export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out.replace(KEY_SHAPED, '[redacted]');
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError(signal.reason);
}

export function cancelledError(cause?: unknown): IdeaMineError {
  return new IdeaMineError(ErrorCode.cancelled, 'model call cancelled by the caller', {
    errorClass: ErrorClass.fatal,
    retryable: false,
    cause,
  });
}

/** `retry-after-ms` (OpenAI), else `Retry-After` as seconds or an HTTP date. */
export function retryAfterMs(
  headers: Record<string, string> | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const get = (name: string) =>
    Object.entries(headers)
      .find(([k]) => k.toLowerCase() === name)?.[1]
      ?.trim();
  const ms = Number(get('retry-after-ms'));
  if (get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const value = get('retry-after');
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
