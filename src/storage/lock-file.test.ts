import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../core/errors.ts';
import { acquireDataDirLock, lockFilePath } from './lock-file.ts';

describe('data dir lock', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'ideamine-lock-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('refuses a second owner and names the owner pid', () => {
    const d = dir();
    const lock = acquireDataDirLock(d);
    // Pretend another live process owns it: our parent is alive.
    writeFileSync(
      lockFilePath(d),
      JSON.stringify({ pid: process.ppid, hostname: hostname(), startedAt: 'then' }),
    );
    try {
      acquireDataDirLock(d);
      expect.unreachable('second acquire should throw');
    } catch (error) {
      expect(error).toMatchObject({ code: ErrorCode.dataDirLocked });
      expect((error as Error).message).toContain(`process ${process.ppid}`);
    }
    writeFileSync(lockFilePath(d), JSON.stringify(lock.owner));
    lock.release();
  });

  it('takes over a stale lock whose process is dead', async () => {
    const d = dir();
    const child = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) => child.on('exit', () => resolve(child.pid ?? 0)));
    writeFileSync(
      lockFilePath(d),
      JSON.stringify({ pid: deadPid, hostname: hostname(), startedAt: 'long ago' }),
    );
    const lock = acquireDataDirLock(d);
    expect(JSON.parse(readFileSync(lockFilePath(d), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });
});
