import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, sep } from 'node:path';
import { invalidInput } from '../core/errors.ts';
import { mapDiskFull, ToolFailedError, ToolNotFoundError } from './errors.ts';

/**
 * The run's git repository (`<data dir>/runs/<run id>/workspace/`). Uses the `git` binary with an
 * identity given on the command line and with global and system config switched off, so a user's
 * hooks, signing or templates never change what a run commits.
 */

export interface WorkspaceFile {
  path: string;
  content: string | Uint8Array;
}

export interface TrackedFile {
  path: string;
  bytes: number;
}

export interface LogEntry {
  sha: string;
  subject: string;
  /** The message after the subject line, trimmed ('' when there is none). */
  body: string;
}

export interface TornReset {
  /** Paths found changed, added or untracked after a crash, now discarded. */
  discarded: string[];
}

export interface ReadFilesOptions {
  /** Files larger than this are left out. */
  maxFileBytes?: number;
  /** Reading stops before the total would pass this. */
  maxTotalBytes?: number;
}

const GIT_IDENTITY = ['-c', 'user.name=IdeaMine', '-c', 'user.email=ideamine@localhost'];
const GIT_SAFE = [
  '-c',
  'commit.gpgsign=false',
  '-c',
  'core.autocrlf=false',
  '-c',
  'core.hooksPath=/dev/null',
];
const GIT_MAX_BUFFER = 64 * 1024 * 1024;

export class Workspace {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** After a crash mid-write, brings the working tree back to the last commit. */
  async resetTorn(): Promise<TornReset> {
    const discarded = await this.#changedPaths();
    if (discarded.length === 0) return { discarded };
    if ((await this.head()) === undefined) {
      for (const entry of await readdir(this.dir)) {
        if (entry !== '.git') await rm(join(this.dir, entry), { recursive: true, force: true });
      }
      await this.#git(['rm', '-r', '-q', '--cached', '--ignore-unmatch', '.']);
    } else {
      await this.#git(['reset', '-q', '--hard', 'HEAD']);
      await this.#git(['clean', '-q', '-f', '-d']);
    }
    return { discarded };
  }

  /** Writes each file through a temporary sibling and a rename, so a crash leaves old or new, not half. */
  async writeFiles(files: readonly WorkspaceFile[]): Promise<void> {
    const root = await realpath(this.dir);
    const targets = files.map((file) => ({ ...file, rel: checkWorkspacePath(file.path) }));
    for (const file of targets) {
      const target = join(root, ...file.rel.split('/'));
      try {
        await mkdir(dirname(target), { recursive: true });
        await assertInside(root, await realpath(dirname(target)), file.path);
        const tmp = join(dirname(target), `.${randomBytes(6).toString('hex')}.ideamine-tmp`);
        try {
          await writeFile(tmp, file.content);
          await rename(tmp, target);
        } catch (error) {
          await rm(tmp, { force: true });
          throw error;
        }
      } catch (error) {
        throw mapDiskFull(error, target);
      }
    }
  }

  /** Removes files (a change that deletes them); paths are checked like writes, missing ones are ignored. */
  async removeFiles(paths: readonly string[]): Promise<void> {
    const root = await realpath(this.dir);
    for (const path of paths) {
      const target = join(root, ...checkWorkspacePath(path).split('/'));
      await rm(target, { force: true });
    }
  }

  /** Commits everything; `undefined` when nothing changed (a resumed step makes no empty commit). */
  async commit(message: string): Promise<string | undefined> {
    await this.#git(['add', '-A']);
    const staged = await this.#git(['status', '--porcelain', '-z']);
    if (staged === '') return undefined;
    await this.#git([...GIT_IDENTITY, 'commit', '-q', '--no-verify', '-m', message]);
    return this.head();
  }

  async head(): Promise<string | undefined> {
    try {
      const sha = (await this.#git(['rev-parse', '--verify', '-q', 'HEAD'])).trim();
      return sha === '' ? undefined : sha;
    } catch {
      return undefined;
    }
  }

  /** Newest first. */
  async log(): Promise<LogEntry[]> {
    if ((await this.head()) === undefined) return [];
    const out = await this.#git(['log', '--format=%H%x1f%s%x1f%b%x1e']);
    return out
      .split('\x1e')
      .map((record) => record.trim())
      .filter(Boolean)
      .map((record) => {
        const [sha = '', subject = '', body = ''] = record.split('\x1f');
        return { sha, subject, body: body.trim() };
      });
  }

  /** Tracked files with their sizes, sorted by path. */
  async files(): Promise<TrackedFile[]> {
    const out = await this.#git(['ls-files', '-z']);
    const paths = out.split('\0').filter(Boolean).sort();
    const result: TrackedFile[] = [];
    for (const path of paths) {
      try {
        const info = await lstat(join(this.dir, path));
        result.push({ path, bytes: info.size });
      } catch {
        // Tracked but deleted from the working tree: not a file we can report on.
      }
    }
    return result;
  }

  /** Tracked text files (no NUL byte), bounded in size. */
  async readFiles(options: ReadFilesOptions = {}): Promise<Map<string, string>> {
    const maxFile = options.maxFileBytes ?? 1024 * 1024;
    let budget = options.maxTotalBytes ?? 16 * 1024 * 1024;
    const contents = new Map<string, string>();
    for (const file of await this.files()) {
      if (file.bytes > maxFile || file.bytes > budget) continue;
      const data = await readFile(join(this.dir, file.path));
      if (data.includes(0)) continue;
      contents.set(file.path, data.toString('utf8'));
      budget -= data.length;
    }
    return contents;
  }

  async #changedPaths(): Promise<string[]> {
    const out = await this.#git(['status', '--porcelain', '-z', '--untracked-files=all']);
    const paths: string[] = [];
    const records = out.split('\0');
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      if (record.length < 4) continue;
      paths.push(record.slice(3));
      // A rename is followed by its source path as a separate record.
      if (record[0] === 'R' || record[0] === 'C') i++;
    }
    return paths.sort();
  }

  #git(args: readonly string[]): Promise<string> {
    return git(this.dir, args);
  }
}

/** Creates the directory and the repository (branch `main`) when missing. */
export async function openWorkspace(dir: string): Promise<Workspace> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw mapDiskFull(error, dir);
  }
  // `git init` on an existing repository only adds what is missing, so it also repairs one that a
  // full disk or a crash left half-initialised (a `.git` without HEAD); it never touches history.
  await git(dir, ['init', '-q', '-b', 'main']);
  return new Workspace(dir);
}

/** A workspace-relative path with `/` separators, or an error: no absolute paths, `..` or `.git`. */
export function checkWorkspacePath(path: string): string {
  if (path === '' || path.includes('\0'))
    throw invalidInput(`refused workspace path: ${JSON.stringify(path)}`);
  if (isAbsolute(path) || path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path)) {
    throw invalidInput(`refused workspace path ${path}: absolute paths are not allowed`);
  }
  const segments = path.split(/[\\/]+/);
  if (segments.includes('..')) throw invalidInput(`refused workspace path ${path}: '..' is not allowed`);
  if (segments.some((s) => s.toLowerCase() === '.git')) {
    throw invalidInput(`refused workspace path ${path}: paths into .git are not allowed`);
  }
  const normal = posix.normalize(segments.join('/'));
  if (normal === '.' || normal.endsWith('/'))
    throw invalidInput(`refused workspace path ${path}: not a file`);
  return normal;
}

async function assertInside(root: string, dir: string, path: string): Promise<void> {
  const rel = relative(root, dir);
  if (rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel))) return;
  throw invalidInput(`refused workspace path ${path}: it leads outside the workspace through a symlink`);
}

function gitEnv(): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    LANG: 'C',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
  };
}

function git(cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...GIT_SAFE, ...args],
      { cwd, env: gitEnv(), maxBuffer: GIT_MAX_BUFFER, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        if ((error as { code?: unknown }).code === 'ENOENT') return reject(new ToolNotFoundError('git'));
        const detail = stderr.trim() || error.message;
        if (/No space left on device|Disk quota exceeded/i.test(detail)) {
          return reject(mapDiskFull({ code: 'ENOSPC' }, cwd));
        }
        reject(
          new ToolFailedError(
            `git ${args.filter((a) => !a.startsWith('-')).at(0) ?? ''}`.trim(),
            detail,
            error,
          ),
        );
      },
    );
  });
}
