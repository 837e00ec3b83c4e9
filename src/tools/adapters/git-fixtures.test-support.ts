import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeProject } from './fixtures.test-support.ts';

/** Fixture workspaces as the build phase leaves them: git repositories with real commits. */

const GIT_IDENTITY = ['-c', 'user.name=IdeaMine Test', '-c', 'user.email=test@ideamine.invalid'];

export function git(dir: string, args: string[]): string {
  return execFileSync('git', [...GIT_IDENTITY, '-c', 'commit.gpgsign=false', ...args], {
    cwd: dir,
    encoding: 'utf8',
  }).trim();
}

/** Writes `files`, deletes `deleted`, commits everything; returns the new commit's id. */
export async function commit(
  dir: string,
  message: string,
  files: Record<string, string>,
  deleted: string[] = [],
): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  for (const path of deleted) await rm(join(dir, path));
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '--allow-empty', '-m', message]);
  return git(dir, ['rev-parse', 'HEAD']);
}

/** A fresh repository (branch `main`) whose first commit holds `files`. */
export async function gitWorkspace(files: Record<string, string>): Promise<{ dir: string; first: string }> {
  const dir = await writeProject({});
  git(dir, ['init', '-q', '-b', 'main']);
  const first = await commit(dir, 'initial', files);
  return { dir, first };
}
