import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { IdeaMineError } from '../core/errors.ts';
import { canonicalJson } from '../core/ids.ts';
import type { ModelRequest } from './model.ts';
import { createOfflineModel, estimateTokens } from './offline-model.ts';

const Persona = z.object({
  name: z.string().min(2).max(40),
  email: z.email(),
  age: z.number().int().min(18).max(90),
  goals: z.array(z.string()).min(1).max(3),
});

const IdeaSpec = z.object({
  title: z.string(),
  summary: z.string().min(30),
  category: z.enum(['b2b', 'b2c', 'internal']),
  confidence: z.number().gt(0).lt(1),
  personas: z.array(Persona).min(3),
  website: z.url().optional(),
  owner: z.string().nullable(),
  launch: z.iso.date(),
  id: z.uuid(),
  flags: z.record(z.string(), z.boolean()),
  scores: z.record(z.enum(['impact', 'effort']), z.number().int().min(1).max(5)),
  pair: z.tuple([z.string(), z.number()]),
  step: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('build'), module: z.string() }),
    z.object({ kind: z.literal('buy'), vendor: z.string() }),
  ]),
  tags: z.array(z.string()).max(0),
  price: z.number().multipleOf(5).min(10).max(20),
});

function request(prompt: string, extra: Partial<ModelRequest<z.infer<typeof IdeaSpec>>> = {}) {
  return {
    agent: { id: 'intake.classifier', version: '1.0.0' },
    system: 'You classify ideas.',
    prompt,
    schema: IdeaSpec,
    ...extra,
  } satisfies ModelRequest<z.infer<typeof IdeaSpec>>;
}

describe('offline model', () => {
  const model = createOfflineModel();

  it('is called offline and builds schema-valid output from the schema alone', async () => {
    expect(model.id).toBe('offline');
    const response = await model.generate(request('A shared todo app for small teams'));
    expect(IdeaSpec.parse(response.output)).toEqual(response.output);
    expect(response.output.personas.length).toBeGreaterThanOrEqual(3);
    expect(response.model).toBe('offline');
    expect(response.costUsd).toBe(0);
    expect(response.priced).toBe(true);
  });

  it('gives the same output for the same prompt', async () => {
    const a = await model.generate(request('A shared todo app for small teams'));
    const b = await createOfflineModel().generate(request('A shared todo app for small teams'));
    expect(canonicalJson(a.output)).toBe(canonicalJson(b.output));
  });

  it('gives different output for different prompts', async () => {
    const a = await model.generate(request('A shared todo app for small teams'));
    const b = await model.generate(request('A marketplace for used bikes'));
    expect(a.output.title).not.toBe(b.output.title);
    expect(canonicalJson(a.output)).not.toBe(canonicalJson(b.output));
  });

  it('estimates usage as ceil(chars / 4) of the input and of the canonical JSON output', async () => {
    const req = request('x'.repeat(101));
    const response = await model.generate(req);
    expect(response.usage.inputTokens).toBe(Math.ceil((req.system.length + 101) / 4));
    expect(response.usage.outputTokens).toBe(estimateTokens(canonicalJson(response.output)));
  });

  it("runs the agent's offline() synthesizer when given, and validates it", async () => {
    const Small = z.object({ answer: z.string() });
    const base = { agent: { id: 'a.b', version: '1' }, system: '', prompt: 'p', schema: Small };
    const response = await model.generate({ ...base, offline: () => ({ answer: 'from the agent' }) });
    expect(response.output).toEqual({ answer: 'from the agent' });
    const bad = model.generate({ ...base, offline: () => ({ answer: 42 }) as unknown as { answer: string } });
    await expect(bad).rejects.toMatchObject({ code: 'MODEL_ERROR', errorClass: 'schema', retryable: false });
    const throwing = model.generate({
      ...base,
      offline: () => {
        throw new TypeError('boom');
      },
    });
    await expect(throwing).rejects.toMatchObject({
      code: 'MODEL_ERROR',
      errorClass: 'fatal',
      retryable: false,
    });
    await expect(throwing).rejects.toThrow(/a\.b@1 threw: TypeError: boom/);
  });

  it('fails with a schema error that names the agent when synthesis cannot satisfy a refinement', async () => {
    const Impossible = z.object({ code: z.string().refine((s) => s === 'exactly-this') });
    const call = model.generate({
      agent: { id: 'x.y', version: '2' },
      system: '',
      prompt: 'p',
      schema: Impossible,
    });
    await expect(call).rejects.toBeInstanceOf(IdeaMineError);
    await expect(call).rejects.toThrow(/x\.y@2.*offline\(\) synthesizer/s);
  });

  it('handles recursive schemas without running away', async () => {
    interface Tree {
      name: string;
      children: Tree[];
    }
    const TreeSchema: z.ZodType<Tree> = z.lazy(() =>
      z.object({ name: z.string(), children: z.array(TreeSchema) }),
    );
    const response = await model.generate({
      agent: { id: 't', version: '1' },
      system: '',
      prompt: 'p',
      schema: TreeSchema,
    });
    expect(TreeSchema.parse(response.output)).toEqual(response.output);
    expect(canonicalJson(response.output).length).toBeLessThan(50_000);
  });

  it('rejects an aborted signal with CANCELLED', async () => {
    const call = model.generate(request('p', { signal: AbortSignal.abort() }));
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED', retryable: false });
  });
});
