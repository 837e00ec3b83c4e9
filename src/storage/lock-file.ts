import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';

/**
 * PGlite has no guard against a second process opening the same data dir, and two writers silently
 * lose rows and corrupt indexes (research/libraries.md §2.1). The owning process therefore holds an
 * O_EXCL lock file with its pid; a lock whose pid is dead (on this host) is stale and taken over.
 */

export interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
}

export interface DataDirLock {
  readonly path: string;
  readonly owner: LockOwner;
  release(): void;
}

export const LOCK_FILE_NAME = 'owner.lock';

export function lockFilePath(dataDir: string): string {
  return join(dataDir, LOCK_FILE_NAME);
}

export function readLockOwner(dataDir: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(lockFilePath(dataDir), 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid !== 'number') return undefined;
    return {
      pid: parsed.pid,
      hostname: parsed.hostname ?? 'unknown',
      startedAt: parsed.startedAt ?? 'unknown',
    };
  } catch {
    return undefined;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(owner: LockOwner | undefined): boolean {
  if (!owner) return true; // unreadable or half-written lock: its writer died mid-write
  if (owner.hostname !== hostname()) return false; // cannot probe another host's pids; never steal
  return !isProcessAlive(owner.pid);
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = lockFilePath(dataDir);
  const owner: LockOwner = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify(owner));
      closeSync(fd);
      let released = false;
      return {
        path,
        owner,
        release: () => {
          if (released) return;
          released = true;
          const current = readLockOwner(dataDir);
          if (current?.pid === owner.pid && current.startedAt === owner.startedAt) unlinkSync(path);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const existing = readLockOwner(dataDir);
      if (!isStale(existing)) {
        throw new IdeaMineError(
          ErrorCode.dataDirLocked,
          `data dir ${dataDir} is in use by process ${existing?.pid} on ${existing?.hostname} (since ${existing?.startedAt}); ` +
            'wait for it to finish (or stop it: ideamine resume continues its run), use DATABASE_URL to share one database between processes, or set IDEAMINE_HOME to another directory',
          { errorClass: ErrorClass.fatal, details: { dataDir, owner: existing } },
        );
      }
      try {
        unlinkSync(path); // stale: its owner died without releasing
      } catch (unlinkError) {
        if ((unlinkError as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkError;
      }
    }
  }
  throw new IdeaMineError(ErrorCode.dataDirLocked, `could not take the lock on ${dataDir}`, {
    errorClass: ErrorClass.transient,
  });
}
