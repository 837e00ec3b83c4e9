/**
 * One error type for the whole system. Retry semantics are data (`retryable`, `errorClass`), not
 * subclasses, so the engine, the HTTP API and the CLI can all decide what to do from one object.
 */

export const ErrorClass = {
  transient: 'transient',
  rateLimit: 'rate_limit',
  schema: 'schema',
  tool: 'tool',
  budget: 'budget',
  fatal: 'fatal',
} as const;
export type ErrorClass = (typeof ErrorClass)[keyof typeof ErrorClass];

export const ErrorCode = {
  invalidInput: 'INVALID_INPUT',
  invalidConfig: 'INVALID_CONFIG',
  notFound: 'NOT_FOUND',
  conflict: 'CONFLICT',
  dataDirLocked: 'DATA_DIR_LOCKED',
  storageUnavailable: 'STORAGE_UNAVAILABLE',
  migrationFailed: 'MIGRATION_FAILED',
  staleAttempt: 'STALE_ATTEMPT',
  determinism: 'NON_DETERMINISM',
  leaseLost: 'LEASE_LOST',
  budgetExceeded: 'BUDGET_EXCEEDED',
  taskFailed: 'TASK_FAILED',
  taskTimeout: 'TASK_TIMEOUT',
  cancelled: 'CANCELLED',
  unknownTaskType: 'UNKNOWN_TASK_TYPE',
  modelError: 'MODEL_ERROR',
  gateFailed: 'GATE_FAILED',
  notImplemented: 'NOT_IMPLEMENTED',
  toolRefused: 'TOOL_REFUSED',
  toolNotFound: 'TOOL_NOT_FOUND',
  toolFailed: 'TOOL_FAILED',
  diskFull: 'DISK_FULL',
  internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface IdeaMineErrorOptions {
  errorClass?: ErrorClass;
  retryable?: boolean;
  /** For rate limits: how long the caller asked us to wait. */
  retryAfterMs?: number;
  details?: Record<string, unknown>;
  cause?: unknown;
}

const NON_RETRYABLE_CLASSES: ReadonlySet<ErrorClass> = new Set([ErrorClass.fatal, ErrorClass.budget]);

export class IdeaMineError extends Error {
  readonly code: ErrorCode;
  readonly errorClass: ErrorClass;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: IdeaMineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IdeaMineError';
    this.code = code;
    this.errorClass = options.errorClass ?? ErrorClass.fatal;
    this.retryable = options.retryable ?? !NON_RETRYABLE_CLASSES.has(this.errorClass);
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details ?? {};
  }

  toJSON(): SerializedError {
    return {
      code: this.code,
      message: this.message,
      errorClass: this.errorClass,
      retryable: this.retryable,
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
      ...(Object.keys(this.details).length === 0 ? {} : { details: this.details }),
    };
  }
}

export interface SerializedError {
  code: string;
  message: string;
  errorClass: ErrorClass;
  retryable: boolean;
  retryAfterMs?: number;
  details?: Record<string, unknown>;
}

export function isIdeaMineError(value: unknown): value is IdeaMineError {
  return value instanceof IdeaMineError;
}

/** Normalises anything thrown into an IdeaMineError; unknown errors count as transient. */
export function coerceError(value: unknown): IdeaMineError {
  if (value instanceof IdeaMineError) return value;
  if (value instanceof Error) {
    return new IdeaMineError(ErrorCode.internal, value.message, {
      errorClass: ErrorClass.transient,
      cause: value,
    });
  }
  return new IdeaMineError(ErrorCode.internal, describeThrown(value), { errorClass: ErrorClass.transient });
}

const EMSCRIPTEN_ERRNO: Record<number, string> = {
  2: 'permission denied (EACCES)',
  44: 'no such file or directory (ENOENT)',
  51: 'no space left on device (ENOSPC)',
  69: 'read-only file system (EROFS)',
};

/** A readable message for anything thrown: some libraries throw plain objects or errno records. */
export function describeThrown(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (value !== null && typeof value === 'object') {
    const v = value as { message?: unknown; code?: unknown; errno?: unknown; name?: unknown };
    if (typeof v.message === 'string' && v.message) return v.message;
    // PGlite's WASM file system throws Emscripten ErrnoErrors, whose errno numbers are not Linux's.
    const emscripten =
      v.name === 'ErrnoError' && typeof v.errno === 'number' ? EMSCRIPTEN_ERRNO[v.errno] : undefined;
    if (emscripten) return emscripten;
    if (v.code === 'ENOSPC' || v.errno === 28) return 'no space left on device (ENOSPC)';
    if (typeof v.code === 'string') return v.code;
    try {
      return JSON.stringify(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}

export function invalidInput(message: string, details?: Record<string, unknown>): IdeaMineError {
  return new IdeaMineError(ErrorCode.invalidInput, message, {
    errorClass: ErrorClass.fatal,
    ...(details ? { details } : {}),
  });
}

/** The one place that maps error codes to HTTP statuses. */
export function httpStatusFor(code: string): number {
  switch (code) {
    case ErrorCode.invalidInput:
    case ErrorCode.invalidConfig:
      return 400;
    case ErrorCode.notFound:
      return 404;
    case ErrorCode.conflict:
    case ErrorCode.staleAttempt:
    case ErrorCode.leaseLost:
    case ErrorCode.dataDirLocked:
      return 409;
    case ErrorCode.budgetExceeded:
      return 402;
    case ErrorCode.notImplemented:
      return 501;
    case ErrorCode.storageUnavailable:
      return 503;
    default:
      return 500;
  }
}

/** The one place that maps error codes to CLI exit codes (documented in the README). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  config: 3,
  storage: 4,
  locked: 5,
  runFailed: 6,
  paused: 7,
  notImplemented: 8,
  interrupted: 130,
} as const;

export function exitCodeFor(code: string): number {
  switch (code) {
    case ErrorCode.invalidInput:
      return ExitCode.usage;
    case ErrorCode.invalidConfig:
      return ExitCode.config;
    case ErrorCode.storageUnavailable:
    case ErrorCode.migrationFailed:
      return ExitCode.storage;
    case ErrorCode.dataDirLocked:
      return ExitCode.locked;
    case ErrorCode.gateFailed:
    case ErrorCode.budgetExceeded:
      return ExitCode.runFailed;
    case ErrorCode.notImplemented:
      return ExitCode.notImplemented;
    default:
      return ExitCode.failure;
  }
}
