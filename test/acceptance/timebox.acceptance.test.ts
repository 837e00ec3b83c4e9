import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLedger } from '../../src/observability/ledger.ts';
import { getPhases } from '../../src/storage/run-store.ts';
import { expectValidEvents } from '../support/events.ts';
import { reply, startFakeOpenAIServer } from '../support/fake-openai-server.ts';
import { openHarness } from '../support/run-harness.ts';

/** A phase that outlives its timebox (a durable timer) fails with the timebox as its reason. */
describe('acceptance: phase timebox', () => {
  it('fails the phase when its timebox runs out, recorded as an escalation', async () => {
    const server = await startFakeOpenAIServer({ defaultReply: reply.delay(60_000) });
    const configDir = mkdtempSync(join(tmpdir(), 'ideamine-timebox-'));
    mkdirSync(configDir, { recursive: true });
    writeFileSync(
      join(configDir, 'intake.yaml'),
      [
        'phase: intake',
        'timebox: PT2S',
        'agents:',
        '  - id: intake.classifier',
        '    model: openai-compatible:slow',
        '  - intake.expander',
        '  - intake.validator',
        '',
      ].join('\n'),
    );
    const h = await openHarness({ configDir, modelBaseUrl: server.url });
    try {
      const started = Date.now();
      const { runId, outcome } = await h.run({
        title: 'Timebox',
        description: 'A shared todo app for small teams',
      });
      expect(outcome).toBe('failed');
      expect(Date.now() - started).toBeLessThan(30_000); // not the 60 s the model would have taken
      const intake = (await getPhases(h.rt.db, runId)).find((p) => p.phase === 'intake');
      expect(intake?.status).toBe('failed');
      expect(String(intake?.error?.['message'])).toMatch(/timebox PT2S exceeded/);
      const decisions = await readLedger(h.rt.db, runId, { type: 'decision' });
      expect(
        decisions.some(
          (d) => d.data['decision'] === 'escalate' && JSON.stringify(d.data['reasons']).includes('timebox'),
        ),
      ).toBe(true);
      expectValidEvents(await h.events(runId));
    } finally {
      await h.close();
      await server.close();
    }
  }, 120_000);
});
