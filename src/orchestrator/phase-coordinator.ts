import type { GateResult } from '../core/schemas/gate-result.ts';
import type { PhasePlan } from '../core/schemas/phase-plan.ts';
import { TraceAttr } from '../core/trace.ts';
import type { StepRunner } from '../engine/steps.ts';
import type { Queryable } from '../storage/database.ts';
import type { Interruption } from './dispatch.ts';
import type { FixLoopReport } from './fix-loop.ts';
import { recordedRepeat } from './fix-loop-stage.ts';
import { rerunClosure } from './phase-waves.ts';
import { compensatePhase } from './sagas.ts';
import { withStageSpans } from './stage-spans.ts';
import { attemptArtifacts, fixContext, previousArtifacts } from './stages/artifacts.ts';
import { clarifyStage, commitClarify } from './stages/clarify.ts';
import { concludeStage, escalateStage, timeboxGate } from './stages/conclude.ts';
import type { AttemptState, CoordinatorDeps, PhaseStageContext, StageResult } from './stages/context.ts';
import { commitDispatch, dispatchStage } from './stages/dispatch-stage.ts';
import { fixStage, planFix } from './stages/fix.ts';
import { guardStage } from './stages/guard.ts';
import { fixLoopContext, handoffStage } from './stages/handoff.ts';
import { healDecision, healStage } from './stages/heal.ts';
import { planStage } from './stages/plan.ts';
import { enterStage, interrupt, readSignal } from './stages/progress.ts';
import { recordStage, recordStageNow } from './stages/recorder.ts';
import { startStage } from './stages/start.ts';
import { applyStage, measureStage } from './stages/workspace.ts';

export type { CoordinatorDeps } from './stages/context.ts';

/**
 * Runs one phase: Plan → Dispatch → Guard → Heal → Clarify → Handoff, each a durable step, inside a
 * loop-until-pass of at most `maxGateAttempts` gate attempts. A failed gate picks auto-fix strategies
 * from its reasons and runs the phase again with hints, re-running only the agents the fixes name
 * (and those that read their outputs). It never asks a person. A measuring phase whose failed attempt
 * repeats the previous one (same failing tests, same errors, same patch: fix-loop.ts) stops early.
 *
 * Each stage is a module under `stages/` that returns its output and what it wants recorded; this
 * class only sequences them as durable steps and hands their records to the recorder. The step keys
 * and their order are what runs in flight replay (invariant 9): never rename or reorder them.
 */

export type PhaseOutcome = 'passed' | 'failed' | 'paused' | 'cancelled';

export class PhaseCoordinator {
  readonly #ctx: PhaseStageContext;
  readonly #steps: StepRunner;

  constructor(
    deps: CoordinatorDeps,
    runId: string,
    phaseRowId: string,
    plan: PhasePlan,
    steps: StepRunner,
    generation = 0,
  ) {
    this.#steps = steps;
    this.#ctx = {
      deps,
      runId,
      phaseRowId,
      phase: plan.phase,
      plan,
      generation,
      stepScope: steps.scope,
      startedAt: Date.now(),
    };
  }

  get phase(): string {
    return this.#ctx.phase;
  }

  get generation(): number {
    return this.#ctx.generation;
  }

  /** The durable-step scope of this generation (phase_metrics finds the generation's start there). */
  get stepScope(): string {
    return this.#steps.scope;
  }

  async run(): Promise<PhaseOutcome> {
    const ctx = this.#ctx;
    await this.#steps.step(
      'start',
      async () => undefined,
      (tx) => this.#recorded(tx, startStage(ctx, { tx })),
    );
    let state: AttemptState = { hints: [], rerunAgents: [] };
    for (let attempt = 1; attempt <= ctx.plan.maxGateAttempts; attempt++) {
      const result = await this.#attempt(attempt, state);
      if (result === 'paused' || result === 'cancelled') return result;
      if (result === 'timebox') return this.#escalate(attempt, timeboxGate(ctx, attempt));
      if (result.pass) return this.#finish(attempt);
      // A round that repeated the previous one was recorded with the gate (fix-loop-stage.ts).
      const repeat = await recordedRepeat(ctx.deps.db, fixLoopContext(ctx), attempt);
      if (repeat || attempt === ctx.plan.maxGateAttempts) return this.#escalate(attempt, result, repeat);
      state = await this.#fix(attempt, result);
    }
    return 'failed';
  }

  async #attempt(
    attempt: number,
    state: AttemptState,
  ): Promise<GateResult | 'paused' | 'cancelled' | 'timebox'> {
    const ctx = this.#ctx;
    if ((await readSignal(ctx)) === 'timebox') return 'timebox';
    const steps = withStageSpans(this.#steps.child(`attempt-${attempt}`), {
      [TraceAttr.runId]: ctx.runId,
      [TraceAttr.phase]: ctx.phase,
      [TraceAttr.gateAttempt]: attempt,
    });
    const waves = await steps.step('plan', async () => (await planStage(ctx, { attempt })).value);
    const previous = attempt > 1 ? await previousArtifacts(ctx) : [];
    const rerun =
      attempt > 1
        ? rerunClosure(ctx.plan, state.rerunAgents, ctx.deps.catalog)
        : new Set(ctx.plan.agents.map((a) => a.id));
    const context = attempt > 1 ? await fixContext(ctx, previous) : [];
    let interrupted: Interruption | undefined;
    const dispatched = await steps
      .step(
        'dispatch',
        async () => {
          const { value } = await dispatchStage(ctx, { attempt, waves, state, rerun, previous, context });
          if (value.interrupted) interrupted = value.interrupted;
          return value;
        },
        (tx, outcome) => {
          // An interrupted dispatch must not be recorded: on resume it runs again and waits for its tasks.
          if (outcome.interrupted) throw new Interrupted(outcome.interrupted);
          return this.#recorded(tx, commitDispatch(ctx, { tx, attempt, outcome }));
        },
      )
      .catch((error: unknown) => {
        if (error instanceof Interrupted) return undefined;
        throw error;
      });
    if (!dispatched) return interrupt(ctx, interrupted ?? 'pause', attempt);
    const healed = await steps.step('heal', async () => {
      await enterStage(ctx, attempt, 'heal', 55);
      const decision = healDecision(ctx, { attempt, failed: dispatched.failed });
      // The decision is in the ledger before the generalist's tasks are enqueued.
      if (decision.value.size > 0) await recordStageNow(ctx.deps.db, decision);
      return (await healStage(ctx, { attempt, retry: decision.value, state, context })).value;
    });
    await steps.step('apply', async () => (await applyStage(ctx, { attempt })).value);
    await steps.step('measure', async () => (await measureStage(ctx, { attempt })).value);
    const guarded = await steps.step('guard', async () => (await guardStage(ctx, { attempt })).value);
    const artifacts = await attemptArtifacts(ctx, attempt);
    const clarified = await steps.step(
      'clarify',
      async () => (await clarifyStage(ctx, { attempt, artifacts })).value,
      (tx, result) => this.#recorded(tx, commitClarify(ctx, { tx, attempt, result })),
    );
    return steps.step(
      'handoff',
      () => enterStage(ctx, attempt, 'handoff', 90),
      (tx) =>
        this.#recorded(
          tx,
          handoffStage(ctx, {
            tx,
            attempt,
            artifacts,
            guardReports: guarded,
            qav: clarified,
            healed: healed.retried,
          }),
        ),
    );
  }

  /** Loop-until-pass: pick a fix for each failure reason and record the decision. */
  #fix(attempt: number, gate: GateResult): Promise<AttemptState> {
    const ctx = this.#ctx;
    return this.#steps.child(`fix-${attempt}`).step(
      'fix',
      async () => planFix(ctx, { gate }),
      (tx, fix) => this.#recorded(tx, fixStage(ctx, { attempt, gate, fix })),
    );
  }

  /** The phase fails: its gate failed every attempt, its timebox ran out, or its fix loop repeated. */
  async #escalate(attempt: number, gate: GateResult, repeat?: FixLoopReport): Promise<PhaseOutcome> {
    const ctx = this.#ctx;
    await this.#steps.step(
      'escalate',
      async () => undefined,
      async (tx) => {
        // The escalation decision precedes, in the ledger, the compensations it causes.
        const error = await this.#recorded(tx, escalateStage(ctx, { attempt, gate, repeat }));
        await compensatePhase(ctx.deps.db, ctx.runId, ctx.phase, tx);
        const end = { tx, outcome: 'failed', attempt, error, evidencePackId: gate.evidencePackId } as const;
        await this.#recorded(tx, concludeStage(ctx, end));
      },
    );
    return 'failed';
  }

  async #finish(attempt: number): Promise<PhaseOutcome> {
    const ctx = this.#ctx;
    await this.#steps.step(
      'finish',
      async () => undefined,
      (tx) => this.#recorded(tx, concludeStage(ctx, { tx, outcome: 'passed', attempt })),
    );
    return 'passed';
  }

  /** Hands a stage's records to the recorder in the step's transaction; the step stores its value. */
  async #recorded<T>(tx: Queryable, stage: StageResult<T> | Promise<StageResult<T>>): Promise<T> {
    const result = await stage;
    await recordStage(this.#ctx.deps.db, tx, result);
    return result.value;
  }
}

class Interrupted extends Error {
  readonly signal: Interruption;
  constructor(signal: Interruption) {
    super(`interrupted by ${signal}`);
    this.signal = signal;
  }
}
