import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';

/**
 * Errors of the tool layer. Each is an IdeaMineError with its own code, so the engine decides on
 * retries from data: a refusal or a missing binary will not fix itself (fatal); a tool that produced
 * unreadable output may be flaky (class `tool`, retryable); a full disk may be freed (transient).
 */

export class ToolRefusedError extends IdeaMineError {
  constructor(toolId: string, allowlist: readonly string[]) {
    super(
      ErrorCode.toolRefused,
      `tool ${toolId} is not allowlisted for this phase (allowlisted: ${allowlist.join(', ') || 'none'})`,
      { errorClass: ErrorClass.fatal, details: { toolId, allowlist: [...allowlist] } },
    );
    this.name = 'ToolRefusedError';
  }
}

export class ToolNotFoundError extends IdeaMineError {
  constructor(executable: string, toolId?: string) {
    super(
      ErrorCode.toolNotFound,
      `executable not found: ${executable}${toolId ? ` (needed by tool ${toolId})` : ''}`,
      { errorClass: ErrorClass.fatal, details: { executable, ...(toolId ? { toolId } : {}) } },
    );
    this.name = 'ToolNotFoundError';
  }
}

export class ToolFailedError extends IdeaMineError {
  constructor(toolRef: string, message: string, cause?: unknown) {
    super(ErrorCode.toolFailed, `tool ${toolRef}: ${message}`, {
      errorClass: ErrorClass.tool,
      retryable: true,
      details: { tool: toolRef },
      cause,
    });
    this.name = 'ToolFailedError';
  }
}

export class DiskFullError extends IdeaMineError {
  constructor(path: string, errno: string, cause?: unknown) {
    super(ErrorCode.diskFull, `the disk is full (${errno}) while writing ${path}`, {
      errorClass: ErrorClass.transient,
      details: { path, errno },
      cause,
    });
    this.name = 'DiskFullError';
  }
}

const DISK_FULL_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT']);

/** A file-system error meaning "no space" (or quota) becomes a DiskFullError naming the path. */
export function mapDiskFull(error: unknown, path: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DISK_FULL_CODES.has(code) ? new DiskFullError(path, code, error) : error;
}
