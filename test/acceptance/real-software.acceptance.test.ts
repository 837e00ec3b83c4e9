import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PHASE_NAMES } from '../../src/core/phases.ts';
import { getPhases } from '../../src/storage/run-store.ts';
import { ROOT, runCli, spawnCli, waitForJsonLine } from '../support/cli.ts';
import { brokenPageScript, uselessFixer, wrongDeleteStatus } from '../support/code-faults.ts';
import { faultyModel } from '../support/faulty-model.ts';
import { openHarness, TODO_IDEA } from '../support/run-harness.ts';

/**
 * Issue 9's acceptance: a run ends with real software. The main job through the CLI leaves a git
 * workspace whose own `npm test` passes and whose `npm start` serves HTTP; the dossier's figures are
 * the ones Node's test runner prints when run by hand there. A defect written into the code by a
 * test-only faulty model fails the gate on the real failing test, the fixer repairs it from that
 * output, and the run passes; a defect nobody repairs ends the run with exit 6 naming the test.
 */

const FAULTY_CLI = join(ROOT, 'test/support/faulty-cli.ts');

function lines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
}

/** `npm <args>` in the workspace, on the Node the project pins (node_modules/.bin is on PATH under npm test). */
function npm(dir: string, args: string[], env: Record<string, string> = {}) {
  const result = { code: 0, out: '' };
  try {
    result.out = execFileSync('npm', args, {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env['PATH']}`, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    result.code = e.status;
    result.out = `${e.stdout}${e.stderr}`;
  }
  return result;
}

/** The spec reporter's summary lines: `ℹ tests 72`, `ℹ pass 72`, … */
function specCounts(out: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of out.matchAll(/^ℹ (tests|pass|fail|skipped|todo|cancelled) (\d+)$/gm))
    counts[m[1]!] = Number(m[2]);
  return counts;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

describe('acceptance: real software from every run', () => {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-real-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('the main job ends with a workspace that tests green, serves HTTP, and matches the dossier', async () => {
    const result = await runCli(
      ['run', 'A shared todo app for small teams', '--json'],
      { IDEAMINE_HOME: home },
      240_000,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = lines(result.stdout).at(-1)!;
    expect(summary).toMatchObject({ type: 'run.summary', outcome: 'succeeded' });
    const workspace = String(summary['workspace']);
    expect(workspace).toBe(join(home, 'runs', String(summary['runId']), 'workspace'));

    // The phases' commits, and a clean tree at the commit the dossier names.
    const log = git(workspace, 'log', '--format=%H %s');
    expect(log).toMatch(/^[0-9a-f]{40} build: build\.coder@1\.0\.0 \(gate attempt 1\)$/m);
    // The release commit is the last: the changelog written from the release notes.
    expect(log.split('\n')[0]).toMatch(
      /^[0-9a-f]{40} release: release\.changelog@1\.0\.0 \(gate attempt 1\)$/,
    );
    expect(readFileSync(join(workspace, 'CHANGELOG.md'), 'utf8')).toMatch(/^# Changelog\n\n## \d+\.\d+\.\d+/);
    expect(git(workspace, 'status', '--porcelain')).toBe('');
    const dossier = JSON.parse(
      readFileSync(join(home, 'runs', String(summary['runId']), 'dossier.json'), 'utf8'),
    );
    expect(dossier.run.status).toBe('succeeded');
    expect(dossier.workspace.commit).toBe(git(workspace, 'rev-parse', 'HEAD').trim());
    expect(dossier.workspace.path).toBe(workspace);
    expect(dossier.phases.map((p: { phase: string }) => p.phase)).toEqual([...PHASE_NAMES]);

    // `npm test` in the workspace passes, and its counts are the dossier's.
    const tests = npm(workspace, ['test']);
    expect(tests.code, tests.out.slice(-2000)).toBe(0);
    const byHand = specCounts(tests.out);
    const report = dossier.reports.TestReport;
    expect(report.tool).toBe(`test-runner@${process.versions.node}`);
    // The tests ran on the build's commit; the release commit after it adds only the changelog.
    expect(git(workspace, 'diff', '--name-only', report.commit, dossier.workspace.commit).trim()).toBe(
      'CHANGELOG.md',
    );
    expect(byHand).toMatchObject({
      tests: report.report.total,
      pass: report.report.passed,
      fail: report.report.failed,
      skipped: report.report.skipped,
      todo: report.report.todo,
    });
    expect(byHand['tests']).toBeGreaterThan(20);

    // Coverage by hand equals the dossier's (Node prints percentages to two decimals).
    // The workspace's own test command, with Node's coverage switched on, run the way a person would.
    const script = JSON.parse(readFileSync(join(workspace, 'package.json'), 'utf8')).scripts.test as string;
    expect(script).toMatch(/^node --test /);
    const covered = execFileSync(
      'sh',
      ['-c', script.replace(/^node --test /, `"${process.execPath}" --test --experimental-test-coverage `)],
      { cwd: workspace, encoding: 'utf8' },
    );
    const row = /^ℹ all files\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)/m.exec(covered);
    expect(row, covered.slice(-1500)).not.toBeNull();
    const coverage = dossier.reports.MeasuredCoverage.report;
    expect((coverage.lines * 100).toFixed(2)).toBe(row![1]);
    expect((coverage.branches * 100).toFixed(2)).toBe(row![2]);
    expect((coverage.functions * 100).toFixed(2)).toBe(row![3]);

    // `PORT=<n> npm start` answers HTTP: health, the page, and the API.
    const port = await freePort();
    const server = spawn('npm', ['start'], {
      cwd: workspace,
      env: {
        ...process.env,
        PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env['PATH']}`,
        PORT: String(port),
        DATA_FILE: join(home, 'app.db'),
      },
      stdio: 'ignore',
      detached: true,
    });
    try {
      let health: Response | undefined;
      for (let i = 0; i < 100 && !health?.ok; i++) {
        health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        if (!health?.ok) await new Promise((r) => setTimeout(r, 100));
      }
      expect(health?.status).toBe(200);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toMatch(/<html lang=/);
      const created = await fetch(`http://127.0.0.1:${port}/api/v1/lists`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': 'u1' },
        body: JSON.stringify({}),
      });
      expect(created.status).toBe(400);
      expect(JSON.stringify(await created.json())).toMatch(/name/);
    } finally {
      process.kill(-server.pid!, 'SIGTERM');
    }

    const status = await runCli(['status', String(summary['runId'])], { IDEAMINE_HOME: home });
    expect(status.stdout).toContain(`workspace ${workspace}`);
  }, 300_000);

  it('a wrong status code written into the build fails QA on the real test; the fixer repairs it', async () => {
    const h = await openHarness({ modelDecorator: (m) => faultyModel(m, [wrongDeleteStatus()]) });
    try {
      const { runId, outcome } = await h.run(TODO_IDEA);
      expect(outcome).toBe('succeeded');
      const failed = (await h.events(runId)).filter((e) => e.type === 'phase.gate.failed');
      expect(failed.map((e) => e.phase)).toEqual(['qa']);
      const reasons = JSON.stringify(failed[0]?.payload['reasons']);
      expect(reasons).toMatch(/test_pass_rate_min not met/);
      expect(reasons).toMatch(/delete returns 204/);
      const qa = (await getPhases(h.rt.db, runId)).find((p) => p.phase === 'qa');
      expect(qa).toMatchObject({ status: 'passed', gateAttempts: 2 });
      const workspace = join(h.home, 'runs', runId, 'workspace');
      const subjects = git(workspace, 'log', '--format=%s').trim().split('\n').reverse();
      expect(subjects).toEqual([
        'build: build.coder@1.0.0 (gate attempt 1)',
        'qa: qa.fixer@1.0.0 (gate attempt 2)',
        'release: release.changelog@1.0.0 (gate attempt 1)',
      ]);
      // The fix is the handler, restored: the test that failed passes in the workspace now.
      const fixed = git(workspace, 'show', '--stat', '--format=', 'HEAD~1');
      expect(fixed).toMatch(/src\/resources\/\w+\.js/);
      expect(npm(workspace, ['test']).code).toBe(0);
    } finally {
      await h.close();
    }
  }, 300_000);

  it("a file that does not parse fails QA with the parser's message, and is repaired", async () => {
    const h = await openHarness({ modelDecorator: (m) => faultyModel(m, [brokenPageScript()]) });
    try {
      const { runId, outcome } = await h.run(TODO_IDEA);
      expect(outcome).toBe('succeeded');
      const failed = (await h.events(runId)).filter((e) => e.type === 'phase.gate.failed');
      expect(failed.map((e) => e.phase)).toEqual(['qa']);
      expect(JSON.stringify(failed[0]?.payload['reasons'])).toMatch(
        /parse_errors_max exceeded: 1 > 0 \(public\/app\.js:\d+: SyntaxError/,
      );
    } finally {
      await h.close();
    }
  }, 300_000);

  it('a defect the fixer cannot repair ends the run with exit 6, naming the failing test', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'ideamine-real-config-'));
    const faultyHome = mkdtempSync(join(tmpdir(), 'ideamine-real-faulty-'));
    try {
      // Two gate attempts instead of five keep the test short; the loop is the same.
      writeFileSync(join(configDir, 'qa.yaml'), 'phase: qa\nmax_gate_attempts: 2\n');
      const child = spawn(
        process.execPath,
        [FAULTY_CLI, 'run', 'A shared todo app for small teams', '--json'],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            IDEAMINE_HOME: faultyHome,
            IDEAMINE_CONFIG_DIR: configDir,
            IDEAMINE_LOG_LEVEL: 'warn',
            IDEAMINE_TEST_FAULTS: 'wrong-delete-status,useless-qa-fixer',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      const [code] = (await once(child, 'exit')) as [number];
      expect(code).toBe(6);
      const summary = lines(stdout).at(-1)!;
      expect(summary).toMatchObject({ type: 'run.summary', outcome: 'failed' });
      expect(JSON.stringify(summary['error'])).toMatch(/qa gate failed 2 times: test_pass_rate_min not met/);
      expect(JSON.stringify(summary['error'])).toMatch(/delete returns 204/);
      // The dossier of a failed run says so.
      const dossier = JSON.parse(
        readFileSync(join(faultyHome, 'runs', String(summary['runId']), 'dossier.json'), 'utf8'),
      );
      expect(dossier.run.status).toBe('failed');
      expect(dossier.reports.TestReport.report.failed).toBeGreaterThan(0);
    } finally {
      rmSync(configDir, { recursive: true, force: true });
      rmSync(faultyHome, { recursive: true, force: true });
    }
  }, 300_000);

  it('kill -9 while the build writes the workspace: resume ends at one clean build commit', async () => {
    const crashHome = mkdtempSync(join(tmpdir(), 'ideamine-real-crash-'));
    try {
      const child = spawnCli(['run', 'A shared todo app for small teams', '--json'], {
        IDEAMINE_HOME: crashHome,
      });
      const apply = await waitForJsonLine(
        child,
        (l) =>
          l['type'] === 'phase.progress' &&
          l['phase'] === 'build' &&
          (l['payload'] as Record<string, unknown>)['stage'] === 'apply',
        180_000,
      );
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
      const runId = String(apply['runId']);
      const resumed = await runCli(['resume', runId, '--json'], { IDEAMINE_HOME: crashHome }, 240_000);
      expect(resumed.stderr).toBe('');
      expect(resumed.code).toBe(0);
      const workspace = join(crashHome, 'runs', runId, 'workspace');
      expect(git(workspace, 'status', '--porcelain')).toBe('');
      const subjects = git(workspace, 'log', '--format=%s').trim().split('\n');
      expect(subjects.filter((s) => s.startsWith('build: build.coder'))).toHaveLength(1);
    } finally {
      rmSync(crashHome, { recursive: true, force: true });
    }
  }, 300_000);
});
