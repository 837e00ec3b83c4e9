import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isIdeaMineError } from '../errors.ts';
import { exceededResources, ZERO_USAGE } from './budgets.ts';
import { EVENT_TYPES, EventSchema, eventPayloadSchema, parseEventDraft } from './event.ts';
import { EvidencePackSchema } from './evidence-pack.ts';
import { GateResultSchema } from './gate-result.ts';
import { contractJsonSchemas, contractSchemaFiles } from './json-schema.ts';
import { CONTRACT_ID_PATTERN } from './registry.ts';
import { parseRubricName, RubricsSchema } from './rubric.ts';
import { TaskSpecSchema } from './task-spec.ts';

const SCHEMAS_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));
const HASH = 'a'.repeat(64);
const NOW = '2025-01-01T00:00:00Z';

describe('checked-in JSON Schemas', () => {
  const generated = contractSchemaFiles();

  it('match the zod definitions (run `npm run schemas` to update)', () => {
    const onDisk = readdirSync(SCHEMAS_DIR).filter(
      (name) => name.startsWith('schema.') && name.endsWith('.json'),
    );
    expect(onDisk.sort(), 'schemas/ holds a stale or missing file: run `npm run schemas` to update').toEqual(
      [...generated.keys()].sort(),
    );
    for (const [name, text] of generated) {
      const current = readFileSync(`${SCHEMAS_DIR}${name}`, 'utf8');
      expect(current, `schemas/${name} is out of date: run \`npm run schemas\` to update`).toBe(text);
    }
  });

  it('gives every contract its versioned $id, named after its file', () => {
    const ids = [...contractJsonSchemas().keys()];
    expect(ids).toEqual(
      expect.arrayContaining([
        'schema.phase.context.v1',
        'schema.phase.taskspec.v1',
        'schema.phase.evidencepack.v1',
        'schema.run.plan.v1',
        'schema.phase.plan.v1',
        'schema.guard.report.v1',
        'schema.gate.result.v1',
        'schema.event.v1',
        'schema.budgets.v1',
        'schema.usage.v1',
        'schema.waiver.v1',
      ]),
    );
    for (const [id, schema] of contractJsonSchemas()) {
      expect(id).toMatch(CONTRACT_ID_PATTERN);
      expect(schema.$id).toBe(id);
      expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    }
  });

  it('only references contracts that are exported too', () => {
    const ids = new Set(contractJsonSchemas().keys());
    for (const [name, text] of generated) {
      for (const [, ref] of text.matchAll(/"\$ref": "([^"]+)"/g)) {
        expect(ids.has(ref as string), `${name} refers to ${ref}`).toBe(true);
      }
    }
  });

  it('is deterministic', () => {
    expect(contractSchemaFiles()).toEqual(generated);
  });
});

describe('contracts', () => {
  const pack = {
    runId: 'r1',
    phase: 'intake',
    attempt: 1,
    artifacts: [{ id: 'a1', type: 'IdeaSpec', hash: HASH }],
    guardReports: [{ guard: 'intake.ambiguity', pass: true, metrics: { ambiguity: 0.05 }, findings: [] }],
    qavSummary: { questions: 4, accepted: 3, rejected: 0, unknown: 1, grounding: 0.9 },
    kmapRefs: ['frame-1'],
    metrics: { ambiguity: 0.05, feasibility: true },
    assumptions: [{ id: 's1', phase: 'intake', statement: 'Teams have under 20 members', status: 'active' }],
  };

  it('accept a complete evidence pack and reject unknown fields', () => {
    expect(EvidencePackSchema.parse(pack)).toEqual(pack);
    expect(EvidencePackSchema.safeParse({ ...pack, extra: 1 }).success).toBe(false);
    expect(
      EvidencePackSchema.safeParse({ ...pack, artifacts: [{ id: 'a1', type: 'X', hash: 'nope' }] }).success,
    ).toBe(false);
  });

  it('check rubric thresholds against the kind in their name', () => {
    expect(
      RubricsSchema.safeParse({ ambiguity_max: 0.1, personas_count_range: [3, 5], sbom_required: true })
        .success,
    ).toBe(true);
    expect(RubricsSchema.safeParse({ ambiguity_max: true }).success).toBe(false);
    expect(RubricsSchema.safeParse({ personas_count_range: [5, 3] }).success).toBe(false);
    expect(RubricsSchema.safeParse({ ambiguity: 0.1 }).success).toBe(false);
    expect(parseRubricName('critical_cves_max')).toEqual({ metric: 'critical_cves', kind: 'max' });
    expect(parseRubricName('personas_count_range')).toEqual({ metric: 'personas_count', kind: 'range' });
  });

  it('describe a gate result per rubric', () => {
    const gate = {
      phase: 'critique',
      attempt: 2,
      pass: false,
      score: 0.5,
      reasons: ['contradictions_max exceeded: 5 > 0'],
      rubricResults: [
        { rubric: 'contradictions_max', metric: 'contradictions', threshold: 0, actual: 5, pass: false },
        {
          rubric: 'feasibility_required',
          metric: 'feasibility',
          threshold: true,
          actual: null,
          pass: false,
          waived: true,
        },
      ],
    };
    expect(GateResultSchema.parse(gate)).toEqual(gate);
    expect(GateResultSchema.safeParse({ ...gate, score: 1.5 }).success).toBe(false);
  });

  it('validate task specs, including shards', () => {
    const task = {
      id: 't1',
      runId: 'r1',
      phase: 'security',
      kind: 'agent',
      target: 'security.sca',
      input: { repo: 'x' },
      budget: { tokens: 1000, toolsMinutes: 5, gpuHours: 0, usd: 1 },
      idempotenceKey: HASH,
      priority: 0,
      maxAttempts: 5,
      shard: { index: 1, count: 4 },
    };
    expect(TaskSpecSchema.safeParse(task).success).toBe(true);
    expect(TaskSpecSchema.safeParse({ ...task, shard: { index: 4, count: 4 } }).success).toBe(false);
  });

  it('compare usage with budgets', () => {
    const budgets = { tokens: 100, toolsMinutes: 1, gpuHours: 0, usd: 1 };
    expect(exceededResources(ZERO_USAGE, budgets)).toEqual([]);
    expect(exceededResources({ ...ZERO_USAGE, tokens: 101, usd: 2 }, budgets)).toEqual(['tokens', 'usd']);
  });
});

describe('events', () => {
  const envelope = { seq: 7, id: 'e1', runId: 'r1', createdAt: NOW };

  it('cover every event type of the spec, and no heartbeat event', () => {
    for (const type of [
      'run.created',
      'run.started',
      'run.paused',
      'run.resumed',
      'run.cancelled',
      'run.completed',
      'run.failed',
      'phase.started',
      'phase.progress',
      'phase.agent.complete',
      'phase.ready',
      'phase.gate.passed',
      'phase.gate.failed',
      'phase.stalled',
      'phase.error',
      'phase.complete',
      'phase.paused',
      'phase.retry',
      'task.enqueued',
      'task.started',
      'task.succeeded',
      'task.failed',
      'task.retry',
      'task.dead',
      'task.cancelled',
      'task.stale_write',
      'budget.exceeded',
      'timer.fired',
      'kmap.delta.created',
      'kmap.fusion.complete',
      'assumption.created',
      'artifact.created',
    ]) {
      expect(EVENT_TYPES).toContain(type);
    }
    expect(EVENT_TYPES).not.toContain('task.heartbeat');
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
  });

  it('narrow the payload by type', () => {
    const event = EventSchema.parse({
      ...envelope,
      type: 'phase.gate.failed',
      phase: 'critique',
      payload: {
        attempt: 1,
        score: 0.5,
        evidencePackId: 'p1',
        reasons: ['contradictions_max exceeded'],
        failedRubrics: ['contradictions_max'],
        hints: ['resolve the contradiction between pricing and persona budget'],
        willRetry: true,
      },
    });
    if (event.type !== 'phase.gate.failed') throw new Error('wrong narrowing');
    expect(event.payload.failedRubrics).toEqual(['contradictions_max']);
  });

  it('require the phase on phase events and the task on task events', () => {
    const retry = {
      ...envelope,
      type: 'task.retry',
      phase: 'build',
      taskId: 't1',
      payload: { attempt: 2, strategy: 'smaller-batch', delayMs: 1000, runAt: NOW, reason: 'stalled' },
    };
    expect(EventSchema.safeParse(retry).success).toBe(true);
    expect(EventSchema.safeParse({ ...retry, taskId: undefined }).success).toBe(false);
    expect(EventSchema.safeParse({ ...retry, payload: { ...retry.payload, strategy: 'pray' } }).success).toBe(
      false,
    );
    const ready = { ...envelope, type: 'phase.ready', payload: { attempt: 1, evidencePackId: 'p1' } };
    expect(EventSchema.safeParse(ready).success).toBe(false);
    expect(EventSchema.safeParse({ ...ready, phase: 'prd' }).success).toBe(true);
  });

  it('validate drafts before they are stored', () => {
    const draft = parseEventDraft({
      type: 'kmap.delta.created',
      runId: 'r1',
      phase: 'intake',
      payload: { deltaId: 'd1', frameIds: ['f1', 'f2'], coverage: 0.92 },
    });
    expect(draft.payload.frameIds).toEqual(['f1', 'f2']);
    let error: unknown;
    try {
      parseEventDraft({
        type: 'kmap.delta.created',
        runId: 'r1',
        phase: 'intake',
        payload: { deltaId: 'd1', frameIds: [], coverage: 2 },
      });
    } catch (caught) {
      error = caught;
    }
    expect(isIdeaMineError(error)).toBe(true);
    expect((error as Error).message).toMatch(/^invalid kmap\.delta\.created event: payload\.frameIds/);
    expect(eventPayloadSchema('run.paused').safeParse({ reason: 'operator' }).success).toBe(true);
  });
});
