import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { IdeaMineError } from '../../src/core/errors.ts';
import { canonicalJson } from '../../src/core/ids.ts';
import type { Model, ModelRequest } from '../../src/llm/model.ts';

/**
 * The `Model` port's contract, written once and run on every driver (style.md §2): the offline model
 * and an AI SDK provider against the fake OpenAI server. Capabilities, not driver names, switch the
 * optional checks.
 */

export interface ModelFixture {
  model: Model;
  /** Same request → same output (offline; the fake server's default reply). Real providers: false. */
  deterministic: boolean;
  close?: () => Promise<void>;
}

const Plan = z.object({
  title: z.string().min(1),
  priority: z.enum(['low', 'medium', 'high']),
  effortDays: z.number().int().min(1).max(30),
  risky: z.boolean(),
  owner: z.string().nullable(),
  notes: z.string().optional(),
  tasks: z
    .array(z.object({ name: z.string(), estimateHours: z.number().min(0).max(40), done: z.boolean() }))
    .min(1)
    .max(5),
});
type Plan = z.infer<typeof Plan>;

function requestFor<O>(prompt: string, schema: z.ZodType<O>): ModelRequest<O> {
  return {
    agent: { id: 'conformance.planner', version: '1.0.0' },
    system: 'You plan small software projects. Answer with JSON only.',
    prompt,
    schema,
    temperature: 0,
    timeoutMs: 10_000,
  };
}

const planRequest = (prompt: string): ModelRequest<Plan> => requestFor(prompt, Plan);

export function modelSuite(name: string, makeModel: () => Promise<ModelFixture>): void {
  describe(`Model conformance: ${name}`, () => {
    let fixture: ModelFixture;
    beforeAll(async () => {
      fixture = await makeModel();
    });
    afterAll(async () => {
      await fixture?.close?.();
    });

    it('returns an object that parses against the request schema', async () => {
      const response = await fixture.model.generate(planRequest('Plan a shared todo app for small teams'));
      expect(Plan.parse(response.output)).toEqual(response.output);
    });

    it('says which model made the answer', async () => {
      const response = await fixture.model.generate(planRequest('Plan a recipe box'));
      expect(response.model).toBe(fixture.model.id);
      expect(fixture.model.id).toMatch(/^(offline|[a-z-]+:.+)$/);
    });

    it('reports usage as non-negative integers, a finite cost and a latency', async () => {
      const response = await fixture.model.generate(planRequest('Plan a habit tracker'));
      const { inputTokens, outputTokens } = response.usage;
      for (const n of [inputTokens, outputTokens]) {
        expect(Number.isInteger(n)).toBe(true);
        expect(n).toBeGreaterThanOrEqual(0);
      }
      expect(inputTokens).toBeGreaterThan(0);
      expect(Number.isFinite(response.costUsd) && response.costUsd >= 0).toBe(true);
      expect(response.latencyMs).toBeGreaterThanOrEqual(0);
    });

    it('serves concurrent calls independently', async () => {
      const prompts = ['Plan a chess club site', 'Plan a bike marketplace', 'Plan a plant watering bot'];
      const responses = await Promise.all(prompts.map((p) => fixture.model.generate(planRequest(p))));
      for (const response of responses) expect(Plan.safeParse(response.output).success).toBe(true);
    });

    it('rejects an already-aborted call with CANCELLED', async () => {
      const call = fixture.model.generate({ ...planRequest('Plan nothing'), signal: AbortSignal.abort() });
      await expect(call).rejects.toMatchObject({ code: 'CANCELLED', retryable: false });
    });

    it('fails with errorClass schema when no answer can satisfy the schema', async () => {
      const Impossible = z.object({ code: z.string().refine(() => false, 'never valid') });
      const call = fixture.model.generate(requestFor('Give me a code', Impossible));
      await expect(call).rejects.toBeInstanceOf(IdeaMineError);
      await expect(call).rejects.toMatchObject({ errorClass: 'schema' });
    });

    it('is deterministic when it says so', async (context) => {
      if (!fixture.deterministic) context.skip();
      const a = await fixture.model.generate(planRequest('Plan a book club'));
      const b = await fixture.model.generate(planRequest('Plan a book club'));
      const c = await fixture.model.generate(planRequest('Plan a running club'));
      expect(canonicalJson(a.output)).toBe(canonicalJson(b.output));
      expect(canonicalJson(a.output)).not.toBe(canonicalJson(c.output));
    });
  });
}
