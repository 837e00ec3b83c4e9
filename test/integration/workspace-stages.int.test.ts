import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger } from '../../src/observability/ledger.ts';
import { applyCode, measureWorkspace } from '../../src/orchestrator/workspace-stages.ts';
import { type ArtifactRecord, insertArtifact, listArtifacts } from '../../src/storage/run-store.ts';
import { openHarness } from '../support/run-harness.ts';

/**
 * The Apply and Measure stages against a real embedded database, git and the real tool runner: code
 * is committed with its phase, agent and attempt; a tool the phase does not allowlist is refused and
 * the refusal is in the ledger; a spent `tools_minutes` budget refuses the tool before it runs; a tool
 * run is a ledger entry and its reports are artifacts with provenance `source: 'tool'`.
 */
describe('workspace stages', () => {
  let h: Awaited<ReturnType<typeof openHarness>>;
  let runId: string;
  let code: ArtifactRecord;
  const ctx = () => ({ db: h.rt.db, workbench: h.rt.workbench, runId, phase: 'qa', attempt: 1 });

  beforeAll(async () => {
    h = await openHarness();
    ({ runId } = await h.rt.orchestrator.createRun(
      { title: 'Stages', description: 'A shared todo app for small teams' },
      await h.rt.loadPhaseConfigs(),
    ));
  });
  afterAll(() => h.close());

  it("commits an agent's code once, naming phase, agent and attempt", async () => {
    ({ artifact: code } = await insertArtifact(h.rt.db, {
      runId,
      phase: 'qa',
      type: 'CodePatch',
      name: 'qa.fixer',
      hash: 'x',
      content: {
        files: [
          { path: 'package.json', content: '{"type":"module","scripts":{"test":"node --test"}}\n' },
          { path: 'test/one.test.js', content: "import test from 'node:test';\ntest('ok', () => {});\n" },
        ],
        diagnosis: [],
      },
      provenance: { source: 'agent', agent: 'qa.fixer@1.0.0', gateAttempt: 1 },
      idempotencyKey: `test:${runId}:code`,
    }));
    const first = await applyCode(ctx(), [code]);
    expect(first).toHaveLength(1);
    // The same artifact applied again (a resumed stage) changes nothing.
    expect(await applyCode(ctx(), [code])).toEqual([]);
    const info = await h.rt.workbench.info(runId);
    expect(info?.log.map((c) => c.subject)).toEqual(['qa: qa.fixer@1.0.0 (gate attempt 1)']);
    expect(info?.log[0]?.body).toBe(`CodePatch ${code.id}`);
    expect(info?.head).toBe(first[0]?.sha);
  });

  it('refuses a tool the phase does not allowlist, and records the refusal', async () => {
    await expect(
      measureWorkspace(ctx(), { measure: ['test-runner'], allowlistedTools: ['coverage'] }),
    ).rejects.toMatchObject({ code: 'TOOL_REFUSED' });
    const decisions = await readLedger(h.rt.db, runId, { type: 'decision' });
    expect(decisions.map((d) => d.data)).toContainEqual(
      expect.objectContaining({ decision: 'tool-refused', tool: 'test-runner', phase: 'qa' }),
    );
  });

  it('runs an allowlisted tool: a ledger entry, tool minutes booked, reports with tool provenance', async () => {
    const reports = await measureWorkspace(ctx(), {
      measure: ['test-runner'],
      allowlistedTools: ['test-runner'],
    });
    expect(reports.map((r) => r.type).sort()).toEqual(['MeasuredCoverage', 'TestReport']);
    expect(reports[0]?.provenance).toMatchObject({
      source: 'tool',
      tool: `test-runner@${process.versions.node}`,
      gateAttempt: 1,
    });
    // Lineage: a report was made from the code artifacts whose commits the workspace holds.
    for (const report of reports)
      expect(report.provenance).toMatchObject({ inputs: [code.id], inputHashes: { [code.id]: 'x' } });
    const stored = await listArtifacts(h.rt.db, runId, { phase: 'qa' });
    expect(stored.find((a) => a.type === 'TestReport')?.content).toMatchObject({ passed: 1, total: 1 });
    const tools = (await readLedger(h.rt.db, runId, { type: 'task' })).filter(
      (e) => e.data['kind'] === 'tool',
    );
    expect(tools).toHaveLength(1);
    expect(tools[0]?.data).toMatchObject({ tool: `test-runner@${process.versions.node}`, exitCode: 0 });
    const [phase] = await h.rt.db.query<{ used: number }>(
      `select (usage ->> 'toolsMinutes')::float8 as used from phases where run_id = $1 and phase_id = 'qa'`,
      [runId],
    );
    expect(phase?.used).toBeGreaterThan(0);
  });

  it('a tool that produced no report is a ToolFailure, made from the same code', async () => {
    const [failure] = await measureWorkspace(ctx(), {
      measure: ['no-such-tool'],
      allowlistedTools: ['no-such-tool'],
    });
    expect(failure?.type).toBe('ToolFailure');
    expect(failure?.provenance).toMatchObject({
      source: 'measure',
      inputs: [code.id],
      inputHashes: { [code.id]: 'x' },
    });
  });

  it('refuses a tool once the phase has spent its tools_minutes', async () => {
    await h.rt.db.query(
      `update phases set budgets = jsonb_set(budgets, '{toolsMinutes}', '0') where run_id = $1 and phase_id = 'qa'`,
      [runId],
    );
    await expect(
      measureWorkspace(ctx(), { measure: ['test-runner'], allowlistedTools: ['test-runner'] }),
    ).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
  });
});
