import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskFullError, mapDiskFull } from './errors.ts';
import { checkWorkspacePath, openWorkspace } from './workspace.ts';

const execFileAsync = promisify(execFile);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ideamine-ws-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('workspace', () => {
  it('initialises a repository on main, writes, commits and makes no empty commit', async () => {
    const ws = await openWorkspace(join(dir, 'runs', 'r1', 'workspace'));
    expect(await ws.head()).toBeUndefined();
    expect(await ws.log()).toEqual([]);
    expect(await ws.commit('nothing yet')).toBeUndefined();

    await ws.writeFiles([
      { path: 'src/app.js', content: 'export const x = 1;\n' },
      { path: 'README.md', content: '# app\n' },
    ]);
    const first = await ws.commit('build: first draft');
    expect(first).toMatch(/^[0-9a-f]{40}$/);
    expect(await ws.head()).toBe(first);

    // A resumed step rewrites the same files: nothing to commit.
    await ws.writeFiles([{ path: 'src/app.js', content: 'export const x = 1;\n' }]);
    expect(await ws.commit('build: first draft (again)')).toBeUndefined();

    await ws.writeFiles([{ path: 'src/app.js', content: 'export const x = 2;\n' }]);
    const second = await ws.commit('build: fix\n\nCodePatch 5e1f\nsecond line');
    expect(await ws.log()).toEqual([
      { sha: second, subject: 'build: fix', body: 'CodePatch 5e1f\nsecond line' },
      { sha: first, subject: 'build: first draft', body: '' },
    ]);
    expect(await ws.files()).toEqual([
      { path: 'README.md', bytes: 6 },
      { path: 'src/app.js', bytes: 20 },
    ]);
    expect(await ws.readFiles()).toEqual(
      new Map([
        ['README.md', '# app\n'],
        ['src/app.js', 'export const x = 2;\n'],
      ]),
    );

    const { stdout: branch } = await execFileAsync('git', ['branch', '--show-current'], { cwd: ws.dir });
    expect(branch.trim()).toBe('main');
    const { stdout: author } = await execFileAsync('git', ['log', '-1', '--format=%an <%ae>'], {
      cwd: ws.dir,
    });
    expect(author.trim()).toBe('IdeaMine <ideamine@localhost>');
    // Reopening an existing repository keeps its history.
    expect(await (await openWorkspace(ws.dir)).head()).toBe(second);
  });

  it('bounds readFiles and leaves binary files out', async () => {
    const ws = await openWorkspace(dir);
    await ws.writeFiles([
      { path: 'a.txt', content: 'a'.repeat(10) },
      { path: 'big.txt', content: 'b'.repeat(5000) },
      { path: 'bin.dat', content: new Uint8Array([1, 0, 2]) },
    ]);
    await ws.commit('files');
    expect([...(await ws.readFiles({ maxFileBytes: 1000 })).keys()]).toEqual(['a.txt']);
  });

  it('resets a torn working tree after a crash mid-write and says what it discarded', async () => {
    const ws = await openWorkspace(dir);
    await ws.writeFiles([{ path: 'src/a.js', content: 'one\n' }]);
    await ws.commit('one');
    // What a crash between writes leaves: a modified file, a new file, a stray temporary file.
    await writeFile(join(dir, 'src/a.js'), 'half-writ');
    await writeFile(join(dir, 'src/b.js'), 'new');
    await writeFile(join(dir, 'src/.abc.ideamine-tmp'), 'partial');
    expect(await ws.resetTorn()).toEqual({ discarded: ['src/.abc.ideamine-tmp', 'src/a.js', 'src/b.js'] });
    expect(await readFile(join(dir, 'src/a.js'), 'utf8')).toBe('one\n');
    expect(await ws.files()).toEqual([{ path: 'src/a.js', bytes: 4 }]);
    expect(await ws.resetTorn()).toEqual({ discarded: [] });
  });

  it('resets a torn tree with no commit yet by removing everything but .git', async () => {
    const ws = await openWorkspace(dir);
    await ws.writeFiles([{ path: 'src/a.js', content: 'x' }]);
    expect(await ws.resetTorn()).toEqual({ discarded: ['src/a.js'] });
    expect(await ws.files()).toEqual([]);
    expect(await ws.commit('empty')).toBeUndefined();
  });

  it('refuses absolute paths, .. and paths into .git, and symlinks out of the workspace', async () => {
    const ws = await openWorkspace(dir);
    for (const path of [
      '/etc/passwd',
      '../x',
      'a/../../x',
      '.git/config',
      'sub/.git/HEAD',
      '.GIT/x',
      '',
      'C:\\x',
    ]) {
      await expect(ws.writeFiles([{ path, content: 'x' }])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    const elsewhere = await mkdtemp(join(tmpdir(), 'ideamine-ws-elsewhere-'));
    try {
      await symlink(elsewhere, join(dir, 'link'));
      await expect(ws.writeFiles([{ path: 'link/x.txt', content: 'x' }])).rejects.toThrow(
        /outside the workspace/,
      );
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
    expect(checkWorkspacePath('./src//a.js')).toBe('src/a.js');
  });

  it('maps ENOSPC and EDQUOT to a DiskFullError naming the path', () => {
    const full = mapDiskFull(Object.assign(new Error('no space'), { code: 'ENOSPC' }), '/data/ws/a.txt');
    expect(full).toBeInstanceOf(DiskFullError);
    expect(full).toMatchObject({
      code: 'DISK_FULL',
      message: expect.stringMatching(/disk is full.*\/data\/ws\/a\.txt/),
    });
    expect(mapDiskFull(Object.assign(new Error('quota'), { code: 'EDQUOT' }), '/x')).toBeInstanceOf(
      DiskFullError,
    );
    const other = new Error('other');
    expect(mapDiskFull(other, '/x')).toBe(other);
  });

  it('reports a full disk as DISK_FULL on a real tiny file system (private mount namespace)', async (ctx) => {
    const canMount =
      process.getuid?.() === 0 &&
      (await execFileAsync('unshare', ['-m', 'true']).then(
        () => true,
        () => false,
      ));
    if (!canMount) return ctx.skip();
    const mountPoint = join(dir, 'tiny');
    const workspaceModule = fileURLToPath(new URL('./workspace.ts', import.meta.url));
    const child = `
      import { openWorkspace } from ${JSON.stringify(workspaceModule)};
      const ws = await openWorkspace(${JSON.stringify(join(mountPoint, 'ws'))});
      try {
        for (let i = 0; i < 100; i++) await ws.writeFiles([{ path: 'f' + i + '.bin', content: Buffer.alloc(256 * 1024, 1) }]);
        console.log(JSON.stringify({ full: false }));
      } catch (e) {
        console.log(JSON.stringify({ code: e.code, name: e.name, message: e.message }));
      }`;
    const script = `mkdir -p ${mountPoint} && mount -t tmpfs -o size=2m tmpfs ${mountPoint} && exec "$0" --input-type=module -e "$1"`;
    const { stdout } = await execFileAsync('unshare', [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      process.execPath,
      child,
    ]);
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, string>;
    expect(result).toMatchObject({ code: 'DISK_FULL', name: 'DiskFullError' });
    expect(result['message']).toMatch(/the disk is full \(ENOSPC\) while writing .*\/tiny\/ws\/f\d+\.bin/);
  });
});
