import { describe, expect, it } from 'vitest';
import { redTeam } from '../../src/agents/critique/agents.ts';
import { RedTeamFindings } from '../../src/agents/critique/schemas.ts';
import { inputFor, SAMPLE_IDEAS } from '../../src/agents/testing/simulate.ts';
import { isIdeaMineError } from '../../src/core/errors.ts';
import type { ModelRequest } from '../../src/llm/model.ts';
import { createOfflineModel } from '../../src/llm/offline-model.ts';
import { type Fault, type FaultCalls, faultyModel, unresolvedContradictions } from './faulty-model.ts';

const input = inputFor(redTeam, SAMPLE_IDEAS.todo, []);
const request: ModelRequest<RedTeamFindings> = {
  agent: { id: redTeam.id, version: redTeam.version },
  system: redTeam.system,
  prompt: redTeam.prompt(input),
  schema: RedTeamFindings,
  offline: () => RedTeamFindings.parse(redTeam.offline(input)),
};

const unresolved = (o: RedTeamFindings) =>
  o.findings.filter((f) => f.kind === 'contradiction' && !f.resolved).length;

async function unresolvedPerCall(calls: FaultCalls, n: number): Promise<number[]> {
  const model = faultyModel(createOfflineModel(), [unresolvedContradictions(calls)]);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(unresolved((await model.generate(request)).output));
  return out;
}

describe('the test-only faulty model', () => {
  it('passes the offline output through untouched when no fault matches, under the same id', async () => {
    const model = faultyModel(createOfflineModel(), [{ ...unresolvedContradictions('all'), agentId: 'x.y' }]);
    const response = await model.generate(request);
    expect(model.id).toBe('offline');
    expect(response.output).toEqual(
      await createOfflineModel()
        .generate(request)
        .then((r) => r.output),
    );
    expect(model.injected).toEqual([]);
    expect(model.calls.get(redTeam.id)).toBe(1);
  });

  it('selects the first call, every call, or the listed calls of the agent', async () => {
    expect(await unresolvedPerCall('first', 3)).toEqual([2, 0, 0]);
    expect(await unresolvedPerCall('all', 3)).toEqual([2, 2, 2]);
    expect(await unresolvedPerCall([2, 3], 4)).toEqual([0, 2, 2, 0]);
  });

  it('refuses a fault whose output breaks the schema, with a fatal error', async () => {
    const malformed: Fault = { agentId: redTeam.id, calls: 'first', mutate: () => ({ findings: 'none' }) };
    const error = await faultyModel(createOfflineModel(), [malformed])
      .generate(request)
      .catch((e: unknown) => e);
    expect(isIdeaMineError(error) && error.errorClass).toBe('fatal');
    expect(String(error)).toMatch(/malformed test fault for critique\.red-team \(call 1\)/);
  });
});
