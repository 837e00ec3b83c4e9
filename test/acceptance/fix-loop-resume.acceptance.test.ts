import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLedger } from '../../src/observability/ledger.ts';
import { openDatabase } from '../../src/storage/open.ts';
import { getPhases, getRun, listArtifacts } from '../../src/storage/run-store.ts';
import { ROOT, runCli, waitForJsonLine } from '../support/cli.ts';

/**
 * The fix-loop decision is durable. QA's fixer changes nothing (a test-only fault) while a broken
 * DELETE handler fails the same test on every attempt. `ideamine run` is killed with SIGKILL while QA
 * measures its second attempt; `ideamine resume` measures again, finds that attempt 2 repeated attempt
 * 1 (the earlier round is read from stored reports, not from the dead process's memory) and stops
 * the loop: one FixLoopReport, one `fix-loop-repeated` decision, exit code 6, and `status` and the
 * run summary say why.
 */

const FAULTY_CLI = join(ROOT, 'test/support/faulty-cli.ts');
const FAULTS = 'wrong-delete-status,useless-qa-fixer';

function faultyCli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [FAULTY_CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, IDEAMINE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function finished(
  child: ChildProcess,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe('acceptance: kill -9 during a repeated fix round, then resume', () => {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-fixloop-crash-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const env = { IDEAMINE_HOME: home, IDEAMINE_TEST_FAULTS: FAULTS };

  it('records the repeated round once and fails the run with the reason', async () => {
    const child = faultyCli(['run', 'A shared todo app for small teams', '--json'], env);
    const measuring = await waitForJsonLine(
      child,
      (l) => {
        const p = l['payload'] as Record<string, unknown> | undefined;
        return (
          l['type'] === 'phase.progress' &&
          l['phase'] === 'qa' &&
          p?.['stage'] === 'measure' &&
          p['attempt'] === 2
        );
      },
      240_000,
    );
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    const runId = String(measuring['runId']);

    // Resumed through the faulty CLI too: the faults stay in place for whatever the resumed run asks.
    const resumed = await finished(faultyCli(['resume', runId, '--json'], env));
    expect(resumed.code, resumed.stderr.slice(-2000)).toBe(6);
    const summary = resumed.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .at(-1);
    expect(summary).toMatchObject({ type: 'run.summary', outcome: 'failed' });
    expect(JSON.stringify(summary?.['error'])).toMatch(
      /qa gate failed 2 times and the fix loop stopped \(5 attempts allowed\): attempt 2 repeated attempt 1: same \d+ failing tests? \(UT-[^)]*delete returns 204/,
    );

    const status = await runCli(['status', runId], { IDEAMINE_HOME: home });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/qa\s+failed.*the fix loop stopped/);

    const db = await openDatabase({ driver: 'pglite', dataDir: home });
    try {
      const decisions = await readLedger(db, runId, { type: 'decision' });
      const repeated = decisions.filter((d) => d.data['decision'] === 'fix-loop-repeated');
      expect(repeated).toHaveLength(1);
      expect(repeated[0]?.data).toMatchObject({ phase: 'qa', attempts: 2, diffHash: 'no change' });
      expect(decisions.filter((d) => d.data['decision'] === 'escalate')).toHaveLength(1);
      const reports = (await listArtifacts(db, runId, { phase: 'qa' })).filter(
        (a) => a.type === 'FixLoopReport',
      );
      expect(reports).toHaveLength(1);
      const gates = (await readLedger(db, runId, { type: 'gate' })).filter((g) => g.data['phase'] === 'qa');
      expect(gates.map((g) => [g.data['attempt'], g.data['pass']])).toEqual([
        [1, false],
        [2, false],
      ]);
      expect((await getPhases(db, runId)).find((p) => p.phase === 'qa')).toMatchObject({
        status: 'failed',
        gateAttempts: 2,
      });
      expect((await getRun(db, runId))?.status).toBe('failed');
      // The resumed process took the run over: the crash really happened mid-run.
      const takeovers = await db.query<{ n: number }>(
        `select count(*)::int as n from events where run_id = $1 and event_type = 'run.started' and (payload ->> 'takeover')::boolean`,
        [runId],
      );
      expect(takeovers[0]?.n).toBe(1);
    } finally {
      await db.close();
    }
  }, 480_000);
});
