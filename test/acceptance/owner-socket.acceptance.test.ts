import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readEvents } from '../../src/storage/event-store.ts';
import { acquireDataDirLock } from '../../src/storage/lock-file.ts';
import { openDatabase } from '../../src/storage/open.ts';
import { runCli, spawnCli } from '../support/cli.ts';

/**
 * The embedded default with a live owner: while `ideamine run` holds the data dir, every other
 * command goes through its unix socket (`<home>/api.sock`) — as a user in a second terminal would.
 */

type Line = Record<string, unknown>;

/** Everything a child prints as JSON lines, and a way to wait for a line already printed or still to come. */
function collect(child: ChildProcess) {
  const lines: Line[] = [];
  let stderr = '';
  let buffer = '';
  const waiters: Array<{ match: (l: Line) => boolean; resolve: (l: Line) => void }> = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let end = buffer.indexOf('\n');
    while (end >= 0) {
      const text = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      end = buffer.indexOf('\n');
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of [...waiters])
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return {
    lines,
    exit,
    stderr: () => stderr,
    waitFor(match: (l: Line) => boolean): Promise<Line> {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        void exit.then(() => reject(new Error(`exited before the line; stderr: ${stderr}`)));
      });
    },
  };
}

const summaryOf = (lines: Line[]) => lines.find((l) => l['type'] === 'run.summary');

const homes: string[] = [];
function freshHome(): string {
  // Short: a unix socket path has at most 107 bytes.
  const home = mkdtempSync(join(tmpdir(), 'im-own-'));
  homes.push(home);
  return home;
}
const children: ChildProcess[] = [];
function spawn(args: string[], home: string) {
  const child = spawnCli(args, { IDEAMINE_HOME: home });
  children.push(child);
  return { child, ...collect(child) };
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

describe('the owner of an embedded data dir serves the CLI on a unix socket', () => {
  test('status, events --follow, kmap, pause, cancel and a queued run work while `run` owns the data dir', async () => {
    const home = freshHome();
    const env = { IDEAMINE_HOME: home };
    const owner = spawn(['run', 'A shared todo app for small teams', '--json'], home);
    const runA = String((await owner.waitFor((l) => l['type'] === 'run.started'))['runId']);

    const socket = statSync(join(home, 'api.sock'));
    expect(socket.isSocket()).toBe(true);
    expect(socket.mode & 0o777).toBe(0o600);

    // The second terminal: `status` shows the live run with its phases.
    const status = await runCli(['status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`run ${runA}  running  "A shared todo app for small teams"`);
    expect(status.stdout).toMatch(/^intake\s+(pending|running|passed)\s/m);
    const statusJson = await runCli(['status', runA.slice(0, 8), '--json'], env);
    expect(statusJson.code).toBe(0);
    const snapshot = JSON.parse(statusJson.stdout) as { run: Line; phases: Line[] };
    expect(snapshot.run).toMatchObject({ id: runA, status: 'running' });
    expect(snapshot.phases.map((p) => p['phase'])).toContain('beta');
    expect(snapshot.phases).toHaveLength(13);

    const follower = spawn(['events', runA, '--follow', '--json'], home);

    // A second `run` is queued on the owner, which drives it beside its own.
    const second = spawn(['run', 'A recipe sharing site for home cooks', '--json'], home);
    const runB = String((await second.waitFor((l) => l['type'] === 'run.queued'))['runId']);
    expect(runB).not.toBe(runA);

    // Pause and cancel through the socket, each on a queued run once its driver has started it.
    const toPause = spawn(['run', 'A habit tracker for runners', '--json'], home);
    const runC = String((await toPause.waitFor((l) => l['type'] === 'run.queued'))['runId']);
    const toCancel = spawn(['run', 'A reading list for book clubs', '--json'], home);
    const runD = String((await toCancel.waitFor((l) => l['type'] === 'run.queued'))['runId']);
    await toPause.waitFor((l) => l['type'] === 'run.started' && l['runId'] === runC);
    await toCancel.waitFor((l) => l['type'] === 'run.started' && l['runId'] === runD);
    const pause = await runCli(['pause', runC], env);
    expect(pause.stdout).toContain(`pause requested for run ${runC}`);
    expect(pause.code).toBe(0);
    const cancel = await runCli(['cancel', runD.slice(0, 13)], env);
    expect(cancel.stdout).toContain(`cancel requested for run ${runD}`);
    expect(cancel.code).toBe(0);

    const kmap = await runCli(['kmap', runA, '--json'], env);
    expect(kmap.code).toBe(0);
    for (const frame of kmap.stdout.trim().split('\n').filter(Boolean))
      expect(JSON.parse(frame)).toMatchObject({ phase: expect.any(String), subject: expect.any(String) });

    expect(await toPause.exit).toBe(7);
    expect(summaryOf(toPause.lines)).toMatchObject({ runId: runC, outcome: 'paused' });
    expect(await toCancel.exit).toBe(6);
    expect(summaryOf(toCancel.lines)).toMatchObject({ runId: runD, outcome: 'cancelled' });

    expect(await second.exit, `${second.stderr()}\nowner: ${owner.stderr()}`).toBe(0);
    const summaryB = summaryOf(second.lines);
    expect(summaryB).toMatchObject({ runId: runB, outcome: 'succeeded' });
    expect(summaryB?.['dossier']).toBeDefined();
    expect(second.lines.some((l) => l['type'] === 'run.completed' && l['runId'] === runB)).toBe(true);

    expect(await owner.exit).toBe(0);
    expect(summaryOf(owner.lines)).toMatchObject({ runId: runA, outcome: 'succeeded' });
    expect(await follower.exit).toBe(0);

    // The owner removed its socket and lock on the way out.
    expect(existsSync(join(home, 'api.sock'))).toBe(false);
    expect(existsSync(join(home, 'owner.lock'))).toBe(false);

    // The follower saw every event of run A, in order, once, and nothing of the other runs.
    const db = await openDatabase({ driver: 'pglite', dataDir: home });
    try {
      const stored = await readEvents(db, { runId: runA, limit: 100_000 });
      expect(follower.lines.map((l) => l['seq'])).toEqual(stored.map((e) => e.seq));
      expect(follower.lines.every((l) => l['runId'] === runA)).toBe(true);
      expect(follower.lines.at(-1)?.['type']).toBe('run.completed');
      const runs = await db.query<{ id: string; status: string }>('select id, status from runs');
      expect(Object.fromEntries(runs.map((r) => [r.id, r.status]))).toEqual({
        [runA]: 'succeeded',
        [runB]: 'succeeded',
        [runC]: 'paused',
        [runD]: 'cancelled',
      });
    } finally {
      await db.close();
    }
  }, 900_000);

  test('after kill -9 of the owner, the next command works and the next owner replaces the stale socket', async () => {
    const home = freshHome();
    const env = { IDEAMINE_HOME: home };
    const first = spawn(['run', 'A shared todo app for small teams', '--json'], home);
    const runId = String((await first.waitFor((l) => l['type'] === 'run.started'))['runId']);
    first.child.kill('SIGKILL');
    await first.exit;
    expect(statSync(join(home, 'api.sock')).isSocket()).toBe(true); // left behind

    const status = await runCli(['status', runId], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`run ${runId}`);

    const resumed = spawn(['resume', runId, '--json'], home);
    await resumed.waitFor((l) => l['type'] === 'run.started' && l['runId'] === runId);
    const socket = statSync(join(home, 'api.sock'));
    expect(socket.isSocket()).toBe(true);
    expect(socket.mode & 0o777).toBe(0o600);
    const live = await runCli(['status', runId, '--json'], env);
    expect(live.code).toBe(0);
    expect(JSON.parse(live.stdout)).toMatchObject({ run: { id: runId, status: 'running' } });

    resumed.child.kill('SIGINT'); // pauses at the next stage boundary
    expect(await resumed.exit).toBe(7);
    expect(existsSync(join(home, 'api.sock'))).toBe(false);
  }, 600_000);

  test('an owner that serves no socket is named with its pid (exit 5)', async () => {
    const home = freshHome();
    // This test process takes the lock the way an ideamine from before the socket did.
    const lock = acquireDataDirLock(home);
    try {
      const status = await runCli(['status'], { IDEAMINE_HOME: home });
      expect(status.code).toBe(5);
      expect(status.stderr).toContain(`owned by process ${process.pid}`);
      expect(status.stderr).toContain('does not serve the API socket');
    } finally {
      lock.release();
    }
  }, 120_000);
});
