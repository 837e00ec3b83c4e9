import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeCatalog } from '../../src/catalog.ts';
import { loadPhaseConfigs } from '../../src/config/load-phase-configs.ts';
import { parseEventDraft } from '../../src/core/schemas/event.ts';
import type { GateResult } from '../../src/core/schemas/gate-result.ts';
import { readLedger, verifyLedger } from '../../src/observability/ledger.ts';
import type { OrchestratorEvent } from '../../src/orchestrator/events.ts';
import { planRun } from '../../src/orchestrator/run-planner.ts';
import { concludeStage, escalateStage, timeboxGate } from '../../src/orchestrator/stages/conclude.ts';
import type {
  CoordinatorDeps,
  PhaseStageContext,
  StageRecord,
} from '../../src/orchestrator/stages/context.ts';
import { fixStage, planFix } from '../../src/orchestrator/stages/fix.ts';
import { healDecision } from '../../src/orchestrator/stages/heal.ts';
import { recordStage } from '../../src/orchestrator/stages/recorder.ts';
import { startStage } from '../../src/orchestrator/stages/start.ts';
import type { Database } from '../../src/storage/database.ts';
import { readEvents } from '../../src/storage/event-store.ts';
import { getPhases, insertPhases, insertRun } from '../../src/storage/run-store.ts';
import { drivers } from '../support/services.ts';
import { countStatements } from '../support/statement-count.ts';

/**
 * The PhaseCoordinator's stages return what they want recorded, and the recorder writes it: ledger
 * entries and events in the stage's transaction (all or nothing), in the order listed, one statement
 * for the ledger batch. Every event a stage produces is a valid event of its type (the zod schemas of
 * src/core/schemas), checked here by parsing, not only by the compiler.
 */

/** Parses each event as the event store's readers would see it (schema per type, envelope scope). */
function parseAll(record: StageRecord): void {
  for (const event of record.events ?? []) {
    expect(() => parseEventDraft({ ...event, phase: event.phase ?? null } as never)).not.toThrow();
  }
}

const failedGate = (phase: string, attempt: number): GateResult => ({
  phase,
  attempt,
  pass: false,
  score: 0.4,
  reasons: ['personas_min: 1 < 3'],
  rubricResults: [
    { rubric: 'personas_min', metric: 'personas', pass: false, actual: 1, threshold: 3 } as never,
  ],
  evidencePackId: '0b5a4f7e-8a9d-4c1e-9a4b-2f0e6a1d3c5b',
});

describe('event payloads are typed by their schemas', () => {
  it('a payload that does not match its event type does not compile (tsc checks the expect-errors)', () => {
    const runId = '0b5a4f7e-8a9d-4c1e-9a4b-2f0e6a1d3c5b';
    const good: OrchestratorEvent = {
      type: 'phase.retry',
      runId,
      phase: 'qa',
      payload: { attempt: 2, maxAttempts: 3, reasons: ['r'], hints: [] },
    };
    const extra: OrchestratorEvent = {
      type: 'phase.retry',
      runId,
      phase: 'qa',
      // @ts-expect-error: phase.retry has no `willRetry`, and its `maxAttempts` is missing
      payload: { attempt: 2, willRetry: true },
    };
    // @ts-expect-error: an unknown event type
    const unknown: OrchestratorEvent = { type: 'phase.retried', runId, payload: {} };
    expect(() => parseEventDraft(good as never)).not.toThrow();
    expect(() => parseEventDraft(extra as never)).toThrow(/phase.retry/);
    expect(() => parseEventDraft(unknown as never)).toThrow(/unknown event type/);
  });
});

for (const driver of drivers) {
  describe.skipIf(!driver.available)(`phase stages and their recorder (${driver.name})`, () => {
    let db: Database;
    let ctx: PhaseStageContext;

    beforeAll(async () => {
      db = await driver.open();
      const home = await mkdtemp(join(tmpdir(), 'h3b-stages-'));
      const catalog = new RuntimeCatalog(db, home);
      const configs = await loadPhaseConfigs();
      const runId = await insertRun(db, { idea: { title: 't' }, plan: {}, planHash: 'h', budgets: {} });
      const plan = planRun(runId, configs, catalog).phases.find((p) => p.phase === 'ideation');
      if (!plan) throw new Error('no ideation phase in the builtin configs');
      await insertPhases(db, runId, [{ phase: plan.phase, budgets: plan.budgets, planHash: plan.planHash }]);
      const phaseRowId = (await getPhases(db, runId)).find((p) => p.phase === plan.phase)?.id ?? '';
      // Only the database and the catalog: none of the stages tested here dispatches tasks or calls a model.
      const deps = { db, catalog } as unknown as CoordinatorDeps;
      ctx = {
        deps,
        runId,
        phaseRowId,
        phase: plan.phase,
        plan,
        generation: 0,
        stepScope: `run/${runId}/${plan.phase}`,
        startedAt: Date.now(),
      };
    }, 180_000);
    afterAll(async () => {
      await db?.close();
    });

    it('start: the phase row runs, phase.started is valid and recorded in the same transaction', async () => {
      const result = await db.transaction(async (tx) => {
        const started = await startStage(ctx, { tx });
        await recordStage(db, tx, started);
        return started;
      });
      parseAll(result);
      const phase = (await getPhases(db, ctx.runId)).find((p) => p.phase === ctx.phase);
      expect(phase?.status).toBe('running');
      const events = await readEvents(db, { runId: ctx.runId, types: ['phase.started'] });
      expect(events.map((e) => e.payload)).toEqual([
        {
          attempt: 1,
          agents: ctx.plan.agents.map((a) => a.id),
          budgets: ctx.plan.budgets,
          timeboxMs: ctx.plan.timeboxMs,
        },
      ]);
    });

    it('a stage whose transaction fails records nothing: no ledger entry, no event', async () => {
      const gate = failedGate(ctx.phase, 1);
      const fix = fixStage(ctx, { attempt: 1, gate, fix: planFix(ctx, { gate }) });
      const ledgerBefore = (await readLedger(db, ctx.runId)).length;
      const eventsBefore = (await readEvents(db, { runId: ctx.runId })).length;
      await expect(
        db.transaction(async (tx) => {
          await recordStage(db, tx, fix);
          throw new Error('crash before the step commits');
        }),
      ).rejects.toThrow('crash before the step commits');
      expect(await readLedger(db, ctx.runId)).toHaveLength(ledgerBefore);
      expect(await readEvents(db, { runId: ctx.runId })).toHaveLength(eventsBefore);
    });

    it('records ledger entries in one statement and events in order, and the chain stays intact', async () => {
      const gate = failedGate(ctx.phase, 2);
      const heal = healDecision(ctx, {
        attempt: 2,
        failed: [
          {
            agentId: ctx.plan.agents[0]?.id ?? 'a',
            taskId: gate.evidencePackId ?? '',
            error: null,
            state: 'dead',
          },
        ],
      });
      const fix = fixStage(ctx, { attempt: 2, gate, fix: planFix(ctx, { gate }) });
      const both: StageRecord = {
        ledger: [...(heal.ledger ?? []), ...(fix.ledger ?? [])],
        events: fix.events ?? [],
      };
      parseAll(both);
      const ledgerBefore = (await readLedger(db, ctx.runId)).length;
      const { statements } = await countStatements(db, (counted) =>
        counted.transaction((tx) => recordStage(counted, tx, { ledger: both.ledger ?? [] })),
      );
      // Two ledger entries, one statement (the counter counts statements sent, not begin/commit).
      expect(statements).toBe(1);
      await db.transaction((tx) => recordStage(db, tx, { events: both.events ?? [] }));
      const ledger = (await readLedger(db, ctx.runId)).slice(ledgerBefore);
      expect(ledger.map((e) => e.data['decision'])).toEqual(['self-execution', 'auto-fix']);
      expect((await verifyLedger(db, ctx.runId)).ok).toBe(true);
      const retry = await readEvents(db, { runId: ctx.runId, types: ['phase.retry'] });
      expect(retry.at(-1)?.payload).toEqual({
        attempt: 3,
        maxAttempts: ctx.plan.maxGateAttempts,
        reasons: gate.reasons,
        hints: planFix(ctx, { gate }).hints,
      });
    });

    it('escalate and conclude: the failed phase ends with a valid phase.complete carrying its usage', async () => {
      const gate = timeboxGate(ctx, 1);
      const escalation = escalateStage(ctx, { attempt: 1, gate });
      expect(escalation.value.message).toBe(
        `${ctx.phase} gate failed 1 times: timebox ${ctx.plan.timebox} exceeded`,
      );
      const end = await db.transaction(async (tx) => {
        await recordStage(db, tx, escalation);
        const concluded = await concludeStage(ctx, {
          tx,
          outcome: 'failed',
          attempt: 1,
          error: escalation.value,
        });
        await recordStage(db, tx, concluded);
        return concluded;
      });
      parseAll(end);
      const phase = (await getPhases(db, ctx.runId)).find((p) => p.phase === ctx.phase);
      expect(phase?.status).toBe('failed');
      const [complete] = await readEvents(db, { runId: ctx.runId, types: ['phase.complete'] });
      expect(complete?.payload).toMatchObject({
        attempts: 1,
        outcome: 'failed',
        usage: { tokens: 0, toolsMinutes: 0, gpuHours: 0, usd: 0 },
      });
      const last = (await readLedger(db, ctx.runId)).at(-1);
      expect(last?.data).toMatchObject({ decision: 'escalate', attempts: 1, reasons: gate.reasons });
    });
  });
}
