import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger } from '../../src/observability/ledger.ts';
import { openDatabase } from '../../src/storage/open.ts';
import { ROOT, runCli } from '../support/cli.ts';

/**
 * Pay once after a crash. `ideamine run` is killed with SIGKILL while model calls are surely in flight
 * (a test-only model holds chosen calls forever and writes a file when one starts: the state the test
 * waits for), then `ideamine resume` finishes the run with the plain binary. The run's recorded
 * tokens and cost equal those of an uninterrupted run of the same idea on the offline model, no
 * logical model call has two cost entries, no reservation is left behind, and the dead driver's
 * agent tasks were handed back by `resume` itself (a lease expiry at takeover), not by the supervisor
 * after its stall window.
 */

const IDEA = 'A shared todo app for small teams';
const HELD_CLI = join(ROOT, 'test/support/held-model-cli.ts');
/** The run lease `resume` takes over (IDEAMINE_LEASE's default, 30 s). */
const RUN_LEASE_MS = 30_000;

interface Totals {
  outcome: string | undefined;
  tokens: number;
  usd: number;
  ledgerTokens: number;
  costEntries: number;
  duplicateStepKeys: string[];
  reservationsHeld: number;
}

describe('acceptance: kill -9 with model calls in flight, then `ideamine resume`: every call paid once', () => {
  const root = mkdtempSync(join(tmpdir(), 'ideamine-pay-once-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let baseline: Totals;

  beforeAll(async () => {
    const home = join(root, 'uninterrupted');
    const run = await runCli(['run', IDEA, '--json'], { IDEAMINE_HOME: home }, 240_000);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    baseline = await totals(home, summaryOf(run.stdout)['runId'] as string);
    expect(baseline.outcome).toBe('succeeded');
    expect(baseline.tokens).toBeGreaterThan(0);
  }, 300_000);

  it.each([
    { point: 'agent calls of the prd phase in flight (tasks of a worker pool)', hold: 'prd.' },
    { point: 'a Q/A/V triad call in flight (inside the orchestrator)', hold: 'qav.question-agent#2' },
  ])(
    '$point',
    async ({ hold }) => {
      const home = join(root, hold.replace(/[^a-z0-9]/gi, '_'));
      const holdDir = join(home, 'held');
      mkdirSync(holdDir, { recursive: true });
      const env = { IDEAMINE_HOME: home, IDEAMINE_TEST_HOLD: hold, IDEAMINE_TEST_HOLD_DIR: holdDir };
      const child = heldCli(['run', IDEA, '--json'], env);
      const runId = await firstRunId(child);
      await waitFor(child, () => readdirSync(holdDir).some((f) => f.endsWith('.held')));
      await kill9(child);

      const before = await orphanState(home, runId);
      const resumed = await runCli(['resume', runId, '--json'], { IDEAMINE_HOME: home }, 240_000);
      expect(resumed.code, resumed.stderr.slice(-2000)).toBe(0);
      expect(summaryOf(resumed.stdout)).toMatchObject({ type: 'run.summary', outcome: 'succeeded' });

      const after = await totals(home, runId);
      expect(after.tokens).toBe(baseline.tokens);
      expect(after.usd).toBe(baseline.usd);
      expect(after.ledgerTokens).toBe(baseline.ledgerTokens);
      expect(after.costEntries).toBe(baseline.costEntries);
      expect(after.duplicateStepKeys).toEqual([]);
      expect(after.reservationsHeld).toBe(0);

      // Every agent task the dead driver held was handed back by resume, at takeover.
      const orphans = await orphanHistory(home, runId, before.running);
      for (const o of orphans) {
        expect(o.outcomes, `history of task ${o.id}`).toContain('lease_expired');
        expect(o.outcomes, `history of task ${o.id}`).not.toContain('stalled');
        expect(o.reclaimedAt - o.takeoverAt).toBeLessThanOrEqual(1.2 * RUN_LEASE_MS);
      }
      if (hold === 'prd.') expect(orphans.length).toBeGreaterThan(0);
    },
    600_000,
  );
});

function heldCli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [HELD_CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, IDEAMINE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function firstRunId(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      const match = /"runId":"([0-9a-f-]{36})"/.exec(buffered);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`ideamine run exited (${code}) before printing a run id`)));
  });
}

/** Polls `ready` (observable state the hook writes), failing if the process exits first. */
async function waitFor(child: ChildProcess, ready: () => boolean): Promise<void> {
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`ideamine run exited (${child.exitCode}) before a held call`);
    if (ready()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function summaryOf(stdout: string): Record<string, unknown> {
  const last = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .at(-1);
  return last ?? {};
}

async function withDb<T>(home: string, fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>) {
  expect(existsSync(home)).toBe(true);
  const db = await openDatabase({ driver: 'pglite', dataDir: home });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function totals(home: string, runId: string): Promise<Totals> {
  return withDb(home, async (db) => {
    const [run] = await db.query<{ status: string; usage: { tokens?: number; usd?: number } }>(
      'select status, usage from runs where id = $1',
      [runId],
    );
    const costs = await readLedger(db, runId, { type: 'cost' });
    const keys = costs.map((c) => String(c.data['stepKey']));
    const [held] = await db.query<{ n: number }>(
      `select count(*)::int as n from checkpoints c join tasks t on t.id = c.task_id
        where t.run_id = $1 and c.token = 'model-call' and c.data ->> 'state' = 'reserved'`,
      [runId],
    );
    return {
      outcome: run?.status,
      tokens: Number(run?.usage.tokens ?? 0),
      usd: Number(run?.usage.usd ?? 0),
      ledgerTokens: costs.reduce((sum, c) => sum + Number(c.data['tokens']), 0),
      costEntries: costs.length,
      duplicateStepKeys: keys.filter((k, i) => k === 'undefined' || keys.indexOf(k) !== i),
      reservationsHeld: held?.n ?? 0,
    };
  });
}

async function orphanState(home: string, runId: string): Promise<{ running: string[] }> {
  return withDb(home, async (db) => {
    const rows = await db.query<{ id: string }>(
      `select id from tasks where run_id = $1 and state = 'running' and type = 'agent.run'`,
      [runId],
    );
    return { running: rows.map((r) => r.id) };
  });
}

async function orphanHistory(home: string, runId: string, ids: string[]) {
  return withDb(home, async (db) => {
    const [takeover] = await db.query<{ at: Date }>(
      `select created_at as at from events where run_id = $1 and event_type = 'run.started'
          and (payload ->> 'takeover')::boolean order by seq limit 1`,
      [runId],
    );
    const tasks = await db.query<{ id: string; history: Array<{ outcome: string; at: string }> }>(
      'select id, history from tasks where id = any($1::uuid[])',
      [ids],
    );
    return tasks.map((t) => {
      const reclaim = t.history.find((h) => h.outcome === 'lease_expired');
      return {
        id: t.id,
        outcomes: t.history.map((h) => h.outcome),
        reclaimedAt: reclaim ? new Date(reclaim.at).getTime() : Number.POSITIVE_INFINITY,
        takeoverAt: takeover?.at.getTime() ?? 0,
      };
    });
  });
}
