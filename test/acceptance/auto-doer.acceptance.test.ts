import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RuntimeCatalog } from '../../src/catalog.ts';
import { readLedger } from '../../src/observability/ledger.ts';
import { listArtifacts } from '../../src/storage/run-store.ts';
import { openHarness } from '../support/run-harness.ts';

/**
 * The auto-doer: a phase config names a capability no agent has (bizdev.market-sizing). The
 * orchestrator generates an agent definition, validates it, registers it versioned in the agent
 * registry, uses it in the run, and records the decision. With the registry's source unreachable,
 * a fresh catalog serves the agent from the local cache.
 */
describe('acceptance: auto-doer', () => {
  it('generates, validates, registers and uses an agent for a missing capability', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'ideamine-autodoer-'));
    mkdirSync(configDir, { recursive: true });
    writeFileSync(
      join(configDir, 'bizdev.yaml'),
      [
        'phase: bizdev',
        'agents:',
        '  - bizdev.pricing',
        '  - bizdev.gtm',
        '  - bizdev.unit-economics',
        '  - bizdev.partnerships',
        '  - bizdev.market-sizing',
        '',
      ].join('\n'),
    );
    const h = await openHarness({ configDir });
    try {
      const { runId, outcome } = await h.run({
        title: 'Auto-doer',
        description: 'A marketplace for renting camping gear',
      });
      expect(outcome).toBe('succeeded');
      const registry = await h.rt.db.query<{ id: string; version: string }>(
        'select id, version from agent_registry',
      );
      expect(registry).toEqual([
        { id: 'bizdev.market-sizing', version: expect.stringMatching(/^1\.0\.0-auto\.[0-9a-f]{8}$/) },
      ]);
      const report = (await listArtifacts(h.rt.db, runId, { phase: 'bizdev' })).find(
        (a) => a.name === 'bizdev.market-sizing',
      );
      expect(report?.type).toBe('MarketSizingReport');
      expect(report?.provenance['agent']).toBe(`bizdev.market-sizing@${registry[0]?.version}`);
      expect(JSON.stringify(report?.content)).toMatch(/camping|gear|rent/i);
      const decisions = await readLedger(h.rt.db, runId, { type: 'decision' });
      expect(
        decisions.some(
          (d) =>
            d.data['decision'] === 'auto-doer' &&
            d.data['agent'] === `bizdev.market-sizing@${registry[0]?.version}`,
        ),
      ).toBe(true);
      const cache = JSON.parse(readFileSync(join(h.home, 'agent-registry.json'), 'utf8')) as Array<{
        id: string;
      }>;
      expect(cache.map((c) => c.id)).toEqual(['bizdev.market-sizing']);

      // The source is unavailable: a new catalog (another process) serves the agent from the cache.
      const broken = {
        query: async () => Promise.reject(new Error('connection refused')),
        exec: async () => {},
      };
      const offlineCatalog = new RuntimeCatalog(broken, h.home);
      // ensureAgents would need to register a genuinely new agent; a known one comes from the cache.
      await offlineCatalog.ensureAgents(['bizdev.market-sizing']);
      expect(offlineCatalog.servedFromCache).toBe(true);
      expect(offlineCatalog.getAgent('bizdev.market-sizing').version).toBe(registry[0]?.version);
    } finally {
      await h.close();
    }
  }, 180_000);
});
