import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { reply, startFakeOpenAIServer } from '../../test/support/fake-openai-server.ts';
import type { ModelRequest } from './model.ts';
import { createOfflineModel } from './offline-model.ts';
import { createOpenAICompatibleModel } from './providers.ts';
import { callKey, createRecordingModel, createReplayModel, type RecordedCall } from './record-replay.ts';

const API_KEY = 'sk-record-0123456789-secret';
const Summary = z.object({ headline: z.string(), bullets: z.array(z.string()) });
type Summary = z.infer<typeof Summary>;

function summarise(prompt: string, extra: Partial<ModelRequest<Summary>> = {}): ModelRequest<Summary> {
  return {
    agent: { id: 'prd.summariser', version: '2' },
    system: 'Summarise.',
    prompt,
    schema: Summary,
    ...extra,
  };
}

describe('record and replay', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ideamine-replay-'));
    file = join(dir, 'nested', 'calls.jsonl');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('records calls against the fake server, then replays them identically with the server gone', async () => {
    const server = await startFakeOpenAIServer();
    const live = createOpenAICompatibleModel({ model: 'fake-chat', baseUrl: server.url, apiKey: API_KEY });
    const recorder = createRecordingModel(live, file);
    const prompts = ['A todo app', 'A bike marketplace', 'A recipe box'];
    const recorded = [];
    for (const prompt of prompts) recorded.push(await recorder.generate(summarise(prompt)));
    await server.close();

    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const replay = createReplayModel(file);
    for (const [i, prompt] of prompts.entries()) {
      const response = await replay.generate(summarise(prompt));
      expect(response.output).toEqual(recorded[i]?.output);
      expect(response.usage).toEqual(recorded[i]?.usage);
      expect(response.model).toBe('openai-compatible:fake-chat');
    }
    expect(fetchSpy).not.toHaveBeenCalled();

    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(API_KEY);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RecordedCall);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      key: callKey(summarise('A todo app')),
      request: {
        agent: 'prd.summariser@2',
        model: 'openai-compatible:fake-chat',
        promptPreview: 'A todo app',
      },
    });
  });

  it('fails loudly (fatal, not retryable) for a call that was not recorded', async () => {
    const recorder = createRecordingModel(createOfflineModel(), file);
    await recorder.generate(summarise('recorded'));
    const replay = createReplayModel(file);
    const call = replay.generate(summarise('never recorded'));
    await expect(call).rejects.toMatchObject({
      code: 'MODEL_ERROR',
      errorClass: 'fatal',
      retryable: false,
      details: { reason: 'not_recorded' },
    });
    await expect(call).rejects.toThrow(/prd\.summariser@2.*never recorded/);
  });

  it('keys on agent, system, prompt, schema and temperature', () => {
    const base = summarise('p', { temperature: 0.2 });
    expect(callKey(base)).toBe(callKey(summarise('p', { temperature: 0.2 })));
    expect(callKey(base)).not.toBe(callKey(summarise('p', { temperature: 0.3 })));
    expect(callKey(base)).not.toBe(callKey({ ...base, system: 'other' }));
    expect(callKey(base)).not.toBe(callKey({ ...base, agent: { id: 'prd.summariser', version: '3' } }));
    expect(callKey(base)).not.toBe(callKey({ ...base, schema: Summary.extend({ extra: z.string() }) }));
  });

  it('replays a repeated call in recorded order, then repeats the last answer', async () => {
    const server = await startFakeOpenAIServer();
    server.enqueue(
      reply.json({ headline: 'first', bullets: [] }),
      reply.json({ headline: 'second', bullets: [] }),
    );
    const recorder = createRecordingModel(
      createOpenAICompatibleModel({ model: 'm', baseUrl: server.url }),
      file,
    );
    await Promise.all([recorder.generate(summarise('same')), recorder.generate(summarise('same'))]);
    await server.close();
    const replay = createReplayModel(file);
    const heads = [];
    for (let i = 0; i < 3; i++) heads.push((await replay.generate(summarise('same'))).output.headline);
    expect(heads.slice(0, 2).sort()).toEqual(['first', 'second']);
    expect(heads[2]).toBe(heads[1]);
  });

  it('reports a missing recording as a fatal error on first use', async () => {
    const replay = createReplayModel(join(dir, 'missing.jsonl'));
    await expect(replay.generate(summarise('p'))).rejects.toMatchObject({
      errorClass: 'fatal',
      details: { reason: 'unreadable' },
    });
  });
});
