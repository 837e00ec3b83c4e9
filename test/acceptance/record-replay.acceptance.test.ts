import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getAgent } from '../../src/agents/registry.ts';
import { sha256 } from '../../src/core/ids.ts';
import { readLedger } from '../../src/observability/ledger.ts';
import { getPhases, listArtifacts } from '../../src/storage/run-store.ts';
import { reply, startFakeOpenAIServer } from '../support/fake-openai-server.ts';
import { openHarness } from '../support/run-harness.ts';

/**
 * Record/replay of a whole run. Intake's classifier runs on an OpenAI-compatible server over real
 * HTTP (the local fake), the rest on the offline model; every call is recorded. Then the server is
 * shut and the run is replayed from the recording: the artifacts (by content hash, the run's own row
 * ids aside) and the gate decisions are identical, and nothing reaches the network. Tools are not
 * replayed: they run again on the replayed code, so their reports differ only in timings.
 */
describe('acceptance: record a run, replay it with the network shut', () => {
  it('replays to identical artifacts and gates', async () => {
    const idea = { title: 'Record and replay', description: 'A shared todo app for small teams' };
    const classification = getAgent('intake.classifier').offline({
      runId: 'x',
      phase: 'intake',
      idea,
      artifacts: {},
      hints: [],
      attempt: 1,
    }) as Record<string, unknown>;
    const server = await startFakeOpenAIServer({ defaultReply: reply.json(classification) });
    const dir = mkdtempSync(join(tmpdir(), 'ideamine-replay-'));
    const configDir = join(dir, 'config');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(
      join(configDir, 'intake.yaml'),
      [
        'phase: intake',
        'agents:',
        '  - id: intake.classifier',
        '    model: openai-compatible:fake-chat',
        '  - intake.expander',
        '  - intake.validator',
        '',
      ].join('\n'),
    );
    const recordFile = join(dir, 'calls.jsonl');

    const recording = await openHarness({ configDir, modelBaseUrl: server.url, recordFile });
    const first = await recording.run(idea);
    const recorded = await summary(recording, first.runId);
    await recording.close();
    const httpCalls = server.requests.length;
    await server.close(); // the network is gone

    const replaying = await openHarness({ configDir, modelBaseUrl: server.url, replayFile: recordFile });
    try {
      const second = await replaying.run(idea);
      const why = [
        ...(await getPhases(replaying.rt.db, second.runId)).filter((p) => p.error),
        ...(await replaying.events(second.runId)).filter((e) => e.type === 'phase.gate.failed'),
      ];
      expect(second.outcome, JSON.stringify(why)).toBe(first.outcome);
      expect(first.outcome).toBe('succeeded');
      const replayed = await summary(replaying, second.runId);
      const onlyRecorded = recorded.artifacts.filter((a) => !replayed.artifacts.includes(a));
      const onlyReplayed = replayed.artifacts.filter((a) => !recorded.artifacts.includes(a));
      expect({ onlyRecorded, onlyReplayed }).toEqual({ onlyRecorded: [], onlyReplayed: [] });
      expect(replayed.gates).toEqual(recorded.gates);
      expect(httpCalls).toBeGreaterThanOrEqual(1);
      expect(
        recorded.artifacts.some(
          (a) => a.startsWith('intake/intake.classifier/') && a.endsWith('openai-compatible:fake-chat'),
        ),
      ).toBe(true);
      const lines = readFileSync(recordFile, 'utf8').trim().split('\n');
      expect(lines.length).toBeGreaterThan(40); // every agent and Q/A/V call of the run
    } finally {
      await replaying.close();
    }
  }, 240_000);
});

/** Content hash with the run's own row ids numbered by first appearance (they differ per run by design). */
function withoutRowIds(content: unknown): string {
  const seen: string[] = [];
  const text = JSON.stringify(content).replace(
    /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g,
    (id) => {
      if (!seen.includes(id)) seen.push(id);
      return `id:${seen.indexOf(id) + 1}`;
    },
  );
  return sha256(text);
}

async function summary(h: Awaited<ReturnType<typeof openHarness>>, runId: string) {
  // Tools run again on replay (only model calls are replayed): their reports carry fresh timings.
  const artifacts = (await listArtifacts(h.rt.db, runId))
    .filter((a) => a.phase !== 'input' && a.provenance['source'] !== 'tool')
    .map(
      (a) =>
        `${a.phase}/${a.name}/${a.provenance['gateAttempt']}/${withoutRowIds(a.content)}/${a.provenance['model'] ?? a.provenance['source']}`,
    )
    .sort();
  // Phases of one DAG level (security ∥ story-loop) may finish in either order: compare by phase.
  const gates = (await readLedger(h.rt.db, runId, { type: 'gate' }))
    .map((g) => {
      const { evidencePackId: _ignored, ...rest } = g.data;
      return JSON.stringify(rest);
    })
    .sort();
  return { artifacts, gates };
}
