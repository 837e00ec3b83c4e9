import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLedger } from '../../src/observability/ledger.ts';
import { getPhases, getRun, listArtifacts } from '../../src/storage/run-store.ts';
import { openHarness, TODO_IDEA } from '../support/run-harness.ts';
import {
  CODER_MODEL,
  FIXER_MODEL,
  type FixerBehaviour,
  type ScriptedCodingSession,
  startScriptedCodingSession,
} from '../support/scripted-coding-session.ts';

/**
 * Real models write code and fix it from real tool output. A fake OpenAI-compatible server (real HTTP)
 * plays a coding session to `build.coder` and `qa.fixer`; every other agent runs offline. The coder
 * answers with a whole app whose DELETE handler answers 200 instead of 204; QA runs the workspace's
 * tests, which fail; on the next attempt the fixer's request must carry the failing tests' names and
 * messages, and only then does the server answer with the fixed handler. A fixer that answers the same
 * broken file every time stops the loop after the first repeated round, with a FixLoopReport.
 */

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
}

async function scriptedRun(fixer: FixerBehaviour) {
  const session = await startScriptedCodingSession({ fixerPhase: 'qa', fixer });
  const h = await openHarness({ configDir: session.configDir, modelBaseUrl: session.server.url });
  session.attach(h.rt.db);
  const close = async () => {
    await h.close();
    await session.close();
  };
  try {
    const { runId, outcome } = await h.run(TODO_IDEA);
    return { h, session, runId, outcome, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The QA test report of one gate attempt, as the test runner measured it. */
async function qaReport(h: Awaited<ReturnType<typeof scriptedRun>>['h'], runId: string, attempt: number) {
  const report = (await listArtifacts(h.rt.db, runId, { phase: 'qa' })).find(
    (a) =>
      a.type === 'TestReport' && a.provenance['source'] === 'tool' && a.provenance['gateAttempt'] === attempt,
  );
  return report?.content as
    | { failed: number; failures: Array<{ name: string; message: string }> }
    | undefined;
}

/** What went wrong, for an assertion message: the phases that did not pass and the run's error. */
async function whyNot(h: Awaited<ReturnType<typeof scriptedRun>>['h'], runId: string): Promise<string> {
  const phases = (await getPhases(h.rt.db, runId)).filter((p) => p.status !== 'passed');
  const run = await getRun(h.rt.db, runId);
  return JSON.stringify({
    run: run?.error ?? null,
    phases: phases.map((p) => ({ phase: p.phase, status: p.status, error: p.error })),
  }).slice(0, 4_000);
}

function modelsAsked(session: ScriptedCodingSession): string[] {
  return [...new Set(session.server.requests.map((r) => r.model))].sort();
}

describe('acceptance: a scripted model writes the code and fixes it from the real test output', () => {
  it('the fixer gets the failing tests, answers the fix over HTTP, and the run completes', async () => {
    const { h, session, runId, outcome, close } = await scriptedRun('fixes');
    try {
      expect(outcome, await whyNot(h, runId)).toBe('succeeded');
      expect(modelsAsked(session)).toEqual([CODER_MODEL, FIXER_MODEL]);

      // Attempt 1 of QA failed on the real test of the broken handler, named in the gate's reasons.
      const failed = await qaReport(h, runId, 1);
      expect(failed?.failed).toBeGreaterThan(0);
      const failing = failed?.failures ?? [];
      expect(failing.map((f) => f.name).join('\n')).toMatch(/delete returns 204/);
      const gates = (await readLedger(h.rt.db, runId, { type: 'gate' })).filter(
        (g) => g.data['phase'] === 'qa',
      );
      expect(gates.map((g) => [g.data['attempt'], g.data['pass']])).toEqual([
        [1, false],
        [2, true],
      ]);
      const reasons = JSON.stringify(gates[0]?.data['reasons']);
      expect(reasons).toMatch(/test_pass_rate_min not met/);
      for (const f of failing) expect(reasons).toContain(f.name);
      expect((await qaReport(h, runId, 2))?.failed).toBe(0);

      // The fixer's request of attempt 2 went over HTTP with every failing test's name and message.
      const fixerPrompts = session.server.requests
        .filter((r) => r.model === FIXER_MODEL)
        .map((r) => r.prompt);
      const attempt2 = fixerPrompts.filter((p) => /^Run \S+, phase qa, attempt 2\./.test(p));
      expect(attempt2).toHaveLength(1);
      for (const f of failing) {
        expect(attempt2[0]).toContain(f.name);
        expect(attempt2[0]).toContain(f.message.trim());
      }
      expect(session.fixerTurns.map((t) => [t.attempt, t.answered])).toEqual([
        [1, 'broken'],
        [2, 'fixed'],
      ]);

      // The workspace: the coder's commit, then the fixer's, which restored the handler.
      const workspace = join(h.home, 'runs', runId, 'workspace');
      const subjects = git(workspace, 'log', '--format=%s').trim().split('\n').reverse();
      expect(subjects.slice(0, 2)).toEqual([
        'build: build.coder@1.0.0 (gate attempt 1)',
        'qa: qa.fixer@1.0.0 (gate attempt 2)',
      ]);
      const app = session.app()!;
      const fixCommit = git(workspace, 'log', '--format=%H', '--grep', '^qa: qa.fixer').trim();
      expect(git(workspace, 'show', '--name-only', '--format=', fixCommit).trim()).toBe(app.path);
      expect(git(workspace, 'show', `${fixCommit}:${app.path}`)).toBe(app.fixed);

      // The code came from the server, not from the offline model.
      const code = (await listArtifacts(h.rt.db, runId)).filter(
        (a) =>
          (a.type === 'SourceTree' || a.type === 'CodePatch') && a.provenance['carriedFrom'] === undefined,
      );
      expect(code.find((a) => a.name === 'build.coder')?.provenance['model']).toBe(
        `openai-compatible:${CODER_MODEL}`,
      );
      expect(
        code
          .filter((a) => a.name === 'qa.fixer')
          .map((a) => [a.provenance['gateAttempt'], a.provenance['model']]),
      ).toEqual([
        [1, `openai-compatible:${FIXER_MODEL}`],
        [2, `openai-compatible:${FIXER_MODEL}`],
      ]);
      const decisions = await readLedger(h.rt.db, runId, { type: 'decision' });
      expect(decisions.filter((d) => d.data['decision'] === 'fix-loop-repeated')).toEqual([]);

      // Lineage of the fix: the fixer of attempt 2 read attempt 1's test report; the reports of
      // attempt 2 measured the coder's tree and the fixer's patch; what QA carried forward names its source.
      const qaArtifacts = await listArtifacts(h.rt.db, runId, { phase: 'qa' });
      const report1 = qaArtifacts.find(
        (a) =>
          a.type === 'TestReport' && a.provenance['source'] === 'tool' && a.provenance['gateAttempt'] === 1,
      );
      const fix2 = code.find((a) => a.name === 'qa.fixer' && a.provenance['gateAttempt'] === 2);
      expect(fix2?.provenance['inputs']).toContain(report1?.id);
      const tree = code.find((a) => a.name === 'build.coder');
      const report2 = qaArtifacts.find(
        (a) =>
          a.type === 'TestReport' && a.provenance['source'] === 'tool' && a.provenance['gateAttempt'] === 2,
      );
      expect(report2?.provenance['inputs']).toEqual([tree?.id, fix2?.id]);
      const carried = qaArtifacts.filter((a) => a.provenance['carriedFrom'] !== undefined);
      expect(carried.length).toBeGreaterThan(0);
      for (const c of carried) expect(c.provenance['inputs']).toEqual([c.provenance['carriedFrom']]);
    } finally {
      await close();
    }
  }, 420_000);

  it('a fixer that answers the same broken patch every time stops the loop at the first repeated round', async () => {
    const { h, session, runId, outcome, close } = await scriptedRun('repeats');
    try {
      const qa = (await getPhases(h.rt.db, runId)).find((p) => p.phase === 'qa');
      expect(outcome).toBe('failed');
      expect(qa, await whyNot(h, runId)).toMatchObject({ status: 'failed', gateAttempts: 2 });
      const maxAttempts = 5; // config/phases/qa.yaml
      expect(qa?.gateAttempts).toBeLessThan(maxAttempts);
      const failing = ((await qaReport(h, runId, 2))?.failures ?? []).map((f) => f.name).sort();
      expect(failing.join('\n')).toMatch(/delete returns 204/);

      // The fixer was asked on attempts 1 and 2, saw the failures the second time, and repeated itself.
      expect(session.fixerTurns.map((t) => [t.attempt, t.recognized, t.answered])).toEqual([
        [1, false, 'broken'],
        [2, true, 'broken'],
      ]);

      // The structured failure report: an orchestrator artifact and a ledger decision.
      const reports = (await listArtifacts(h.rt.db, runId, { phase: 'qa' })).filter(
        (a) => a.type === 'FixLoopReport',
      );
      expect(reports).toHaveLength(1);
      expect(reports[0]?.provenance).toMatchObject({ source: 'orchestrator', gateAttempt: 2 });
      // It was made from the two rounds it compared: each attempt's tool reports and fixer patch. The
      // failed phase's compensation has since retracted the patches; lineage keeps them.
      const qaRows = await h.rt.db.query<{ id: string; type: string; provenance: Record<string, unknown> }>(
        `select id, type, provenance from artifacts where run_id = $1 and phase_id = 'qa'`,
        [runId],
      );
      const compared = qaRows.filter(
        (a) =>
          (a.provenance['source'] === 'tool' ||
            (a.type === 'CodePatch' && a.provenance['carriedFrom'] === undefined)) &&
          [1, 2].includes(Number(a.provenance['gateAttempt'])),
      );
      expect(compared.filter((a) => a.type === 'CodePatch')).toHaveLength(2);
      expect([...((reports[0]?.provenance['inputs'] ?? []) as string[])].sort()).toEqual(
        compared.map((a) => a.id).sort(),
      );
      const report = reports[0]?.content as Record<string, unknown>;
      expect(report).toMatchObject({
        phase: 'qa',
        attempts: 2,
        maxAttempts,
        repeats: 1,
        failingTests: failing,
      });
      expect(report['errorSignature']).toMatch(/^[0-9a-f]{64}$/);
      expect(report['diffHash']).toMatch(/^[0-9a-f]{64}$/);
      const n = failing.length;
      expect(String(report['reason'])).toBe(
        `attempt 2 repeated attempt 1: same ${n} failing test${n === 1 ? '' : 's'} (${failing.join('; ')}), same errors, same patch`,
      );
      const decisions = await readLedger(h.rt.db, runId, { type: 'decision' });
      const repeated = decisions.filter((d) => d.data['decision'] === 'fix-loop-repeated');
      expect(repeated).toHaveLength(1);
      expect(repeated[0]?.data).toMatchObject({
        phase: 'qa',
        attempts: 2,
        failingTests: failing,
        errorSignature: report['errorSignature'],
        diffHash: report['diffHash'],
        reason: report['reason'],
      });
      expect(
        decisions.filter((d) => d.data['decision'] === 'escalate' && d.data['phase'] === 'qa'),
      ).toHaveLength(1);
      // No third attempt: no gate, no fixer request, no auto-fix after the repeat.
      const gates = (await readLedger(h.rt.db, runId, { type: 'gate' })).filter(
        (g) => g.data['phase'] === 'qa',
      );
      expect(gates.map((g) => g.data['attempt'])).toEqual([1, 2]);
      expect(session.server.requests.some((r) => /phase qa, attempt 3\./.test(r.prompt))).toBe(false);
      const lastGateEvent = (await h.events(runId)).filter((e) => e.type === 'phase.gate.failed').at(-1);
      expect(lastGateEvent?.payload).toMatchObject({ attempt: 2, willRetry: false });

      // The run failed the way a failed gate fails, with the reason `ideamine run` and `status` print.
      const run = await getRun(h.rt.db, runId);
      expect(run?.status).toBe('failed');
      expect(run?.error).toMatchObject({ code: 'GATE_FAILED' });
      expect(String(run?.error?.['message'])).toContain(
        `qa gate failed 2 times and the fix loop stopped (5 attempts allowed): ${String(report['reason'])}. Last gate: test_pass_rate_min not met`,
      );
    } finally {
      await close();
    }
  }, 420_000);
});
