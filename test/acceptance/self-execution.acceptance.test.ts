import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLedger } from '../../src/observability/ledger.ts';
import { listArtifacts } from '../../src/storage/run-store.ts';
import { reply, startFakeOpenAIServer } from '../support/fake-openai-server.ts';
import { openHarness } from '../support/run-harness.ts';

/**
 * Self-execution: an agent whose provider keeps failing (HTTP 500 on every call, real HTTP) exhausts
 * its attempts; the phase's heal stage hands the blocking task to the orchestrator's generalist,
 * which completes it. The artifact says so in its provenance and the ledger records the decision. The
 * generalist's work never passes a gate by itself: the gate fails with `self_executed_max`, saying a
 * waiver is needed (one gate attempt here, so the phase then fails instead of trying the provider again).
 */
describe('acceptance: self-execution when a doer fails repeatedly', () => {
  it('the generalist completes the blocking task, marked in provenance', async () => {
    const server = await startFakeOpenAIServer({ defaultReply: reply.serverError(500) });
    const configDir = mkdtempSync(join(tmpdir(), 'ideamine-selfexec-'));
    mkdirSync(configDir, { recursive: true });
    writeFileSync(
      join(configDir, 'ideation.yaml'),
      [
        'phase: ideation',
        'agents:',
        '  - ideation.strategy',
        '  - id: ideation.competitive',
        '    model: openai-compatible:always-down',
        '  - ideation.tech-stack',
        '  - ideation.persona',
        'max_gate_attempts: 1',
        '',
      ].join('\n'),
    );
    const h = await openHarness({ configDir, modelBaseUrl: server.url });
    try {
      const { runId, outcome } = await h.run({
        title: 'Self-execution',
        description: 'A shared todo app for small teams',
      });
      expect(outcome).toBe('failed');
      const gate = (await readLedger(h.rt.db, runId, { type: 'gate' })).find(
        (g) => g.data['phase'] === 'ideation',
      );
      expect(gate?.data['pass']).toBe(false);
      expect(JSON.stringify(gate?.data['reasons'])).toMatch(
        /self_executed_max exceeded: 1 > 0 \(completed by the orchestrator's generalist after the doer failed: ideation\.competitive; accepting it needs a waiver\)/,
      );
      expect(server.requests.length).toBeGreaterThanOrEqual(4); // every attempt really went over HTTP
      const competitive = (await listArtifacts(h.rt.db, runId, { phase: 'ideation' })).find(
        (a) => a.name === 'ideation.competitive',
      );
      expect(competitive?.provenance).toMatchObject({
        selfExecuted: true,
        executedBy: 'orchestrator.generalist@1.0.0',
        model: 'offline',
      });
      const decisions = await readLedger(h.rt.db, runId, { type: 'decision' });
      expect(decisions.find((d) => d.data['decision'] === 'self-execution')?.data).toMatchObject({
        phase: 'ideation',
        agents: ['ideation.competitive'],
      });
      const failed = await h.rt.db.query<{ state: string; attempt: number }>(
        `select state, attempt from tasks where run_id = $1 and input ->> 'agentId' = 'ideation.competitive' order by created_at`,
        [runId],
      );
      expect(failed[0]).toMatchObject({ state: 'dead', attempt: 4 });
      expect(failed.at(-1)?.state).toBe('succeeded');
    } finally {
      await h.close();
      await server.close();
    }
  }, 180_000);
});
