import type { ArtifactView } from '../core/agent.ts';
import { ErrorCode, IdeaMineError } from '../core/errors.ts';
import { hashOf } from '../core/ids.ts';
import type { GateResult } from '../core/schemas/gate-result.ts';
import type { PhasePlan } from '../core/schemas/phase-plan.ts';
import { TraceAttr } from '../core/trace.ts';
import type { Workbench } from '../core/workbench.ts';
import type { StepRunner } from '../engine/steps.ts';
import type { Model } from '../llm/model.ts';
import { appendLedger } from '../observability/ledger.ts';
import type { TaskQueue } from '../queue/task-queue.ts';
import type { Database } from '../storage/database.ts';
import { recordPhaseMetrics } from '../storage/phase-metrics-store.ts';
import {
  type ArtifactRecord,
  activeWaivers,
  getPhases,
  getRun,
  insertArtifact,
  insertEvidencePack,
  listArtifacts,
  updatePhase,
} from '../storage/run-store.ts';
import { GENERALIST, latestArtifacts, stableOrder } from './agent-task.ts';
import { aggregate } from './aggregation.ts';
import { BudgetAccount } from './budget.ts';
import type { AgentCatalog, GuardOutput } from './catalog.ts';
import { dispatchFailure, dispatchPhase, type Interruption } from './dispatch.ts';
import { emit } from './events.ts';
import type { FixLoopReport } from './fix-loop.ts';
import { detectRepeat, type FixLoopContext, recordedRepeat, recordRepeat } from './fix-loop-stage.ts';
import { evaluateGate, type MetricOrigin, type Metrics } from './gatekeeper.ts';
import { isToolReport, measuredMetrics, unmeasuredReasons } from './measured-metrics.ts';
import { planWaves, rerunClosure } from './phase-waves.ts';
import { type ClarifyResult, clarify } from './qav/clarify.ts';
import { compensatePhase, registerCompensation } from './sagas.ts';
import { withStageSpans } from './stage-spans.ts';
import { applyCode, CODE_ARTIFACT_TYPES, measureWorkspace } from './workspace-stages.ts';

/**
 * Runs one phase: Plan → Dispatch → Guard → Heal → Clarify → Handoff, each a durable step, inside a
 * loop-until-pass of at most `maxGateAttempts` gate attempts. A failed gate picks auto-fix strategies
 * from its reasons and runs the phase again with hints, re-running only the agents the fixes name
 * (and those that read their outputs). It never asks a person. A measuring phase whose failed attempt
 * repeats the previous one (same failing tests, same errors, same patch: fix-loop.ts) stops early.
 */

export type PhaseOutcome = 'passed' | 'failed' | 'paused' | 'cancelled';

export interface CoordinatorDeps {
  db: Database;
  queue: TaskQueue;
  catalog: AgentCatalog;
  /** The model the Q/A/V triad uses. */
  model: Model;
  pollMs?: { min: number; max: number };
  now?: () => Date;
  /** The run's code workspace and tools; phases that write code or measure need it. */
  workbench?: Workbench;
}

interface AttemptState {
  hints: string[];
  rerunAgents: string[];
}

/** Provenance sources of artifacts the coordinator itself writes per attempt (not agents' cached work). */
const GENERATIONAL_SOURCES = new Set(['tool', 'measure', 'orchestrator']);

export class PhaseCoordinator {
  readonly #deps: CoordinatorDeps;
  readonly #runId: string;
  readonly #plan: PhasePlan;
  readonly #steps: StepRunner;
  readonly #phaseRowId: string;
  readonly #started = Date.now();

  /** The phase's retry generation (0 until an operator retry): tool reports of one generation are not another's. */
  readonly #generation: number;

  constructor(
    deps: CoordinatorDeps,
    runId: string,
    phaseRowId: string,
    plan: PhasePlan,
    steps: StepRunner,
    generation = 0,
  ) {
    this.#generation = generation;
    this.#deps = deps;
    this.#runId = runId;
    this.#phaseRowId = phaseRowId;
    this.#plan = plan;
    this.#steps = steps;
  }

  get phase(): string {
    return this.#plan.phase;
  }

  get generation(): number {
    return this.#generation;
  }

  /** The durable-step scope of this generation (phase_metrics finds the generation's start there). */
  get stepScope(): string {
    return this.#steps.scope;
  }

  get #fixLoop(): FixLoopContext {
    return { runId: this.#runId, phase: this.phase, plan: this.#plan, generation: this.#generation };
  }

  async run(): Promise<PhaseOutcome> {
    const { db } = this.#deps;
    await this.#steps.step(
      'start',
      async () => undefined,
      async (tx) => {
        await updatePhase(tx, this.#runId, this.phase, { status: 'running', started: true, stage: 'plan' });
        // The timebox is a durable timer: it fires once, even if this process dies and another resumes.
        await tx.query(
          `insert into timers (key, kind, run_id, fire_at, payload)
           values ($1, 'timebox', $2, clock_timestamp() + $3 * interval '1 millisecond', $4) on conflict (key) do nothing`,
          [
            `timebox:${this.#steps.scope}`,
            this.#runId,
            this.#plan.timeboxMs,
            JSON.stringify({ phaseRowId: this.#phaseRowId, phase: this.phase, timebox: this.#plan.timebox }),
          ],
        );
        await emit(
          db,
          {
            type: 'phase.started',
            runId: this.#runId,
            phase: this.phase,
            payload: {
              attempt: 1,
              agents: this.#plan.agents.map((a) => a.id),
              budgets: this.#plan.budgets,
              timeboxMs: this.#plan.timeboxMs,
            },
          },
          tx,
        );
      },
    );
    let state: AttemptState = { hints: [], rerunAgents: [] };
    for (let attempt = 1; attempt <= this.#plan.maxGateAttempts; attempt++) {
      const result = await this.#attempt(attempt, state);
      if (result === 'paused' || result === 'cancelled') return result;
      if (result === 'timebox') return this.#escalate(attempt, this.#timeboxGate(attempt));
      if (result.pass) return this.#finish('passed', attempt);
      // A round that repeated the previous one was recorded with the gate (fix-loop-stage.ts).
      const repeat = await recordedRepeat(this.#deps.db, this.#fixLoop, attempt);
      if (repeat || attempt === this.#plan.maxGateAttempts) return this.#escalate(attempt, result, repeat);
      state = await this.#planFix(attempt, result);
    }
    return 'failed';
  }

  async #attempt(
    attempt: number,
    state: AttemptState,
  ): Promise<GateResult | 'paused' | 'cancelled' | 'timebox'> {
    if ((await this.#signal()) === 'timebox') return 'timebox';
    const steps = withStageSpans(this.#steps.child(`attempt-${attempt}`), {
      [TraceAttr.runId]: this.#runId,
      [TraceAttr.phase]: this.phase,
      [TraceAttr.gateAttempt]: attempt,
    });
    const { db, queue, catalog } = this.#deps;
    const waves = await steps.step('plan', async () => {
      await this.#stage(attempt, 'plan', 0);
      return planWaves(this.#plan, catalog);
    });
    const previous =
      attempt > 1 ? latestArtifacts(await listArtifacts(db, this.#runId, { phase: this.phase })) : [];
    const rerun =
      attempt > 1
        ? rerunClosure(this.#plan, state.rerunAgents, catalog)
        : new Set(this.#plan.agents.map((a) => a.id));
    const context = attempt > 1 ? await this.#fixContext(previous) : [];
    let interrupted: Interruption | undefined;
    const dispatched = await steps
      .step(
        'dispatch',
        async () => {
          await this.#stage(attempt, 'dispatch', 0);
          const outcome = await dispatchPhase(
            { db, queue, catalog, ...(this.#deps.pollMs ? { pollMs: this.#deps.pollMs } : {}) },
            {
              runId: this.#runId,
              phase: this.phase,
              phaseRowId: this.#phaseRowId,
              gateAttempt: attempt,
              plan: this.#plan,
              waves,
              hints: state.hints,
              rerun,
              previous,
              context,
              interrupted: () => this.#signal(),
              onProgress: (done, total) => this.#progress(attempt, 'dispatch', done, total),
            },
          );
          if (outcome.interrupted) interrupted = outcome.interrupted;
          return outcome;
        },
        async (tx, outcome) => {
          // An interrupted dispatch must not be recorded: on resume it runs again and waits for its tasks.
          if (outcome.interrupted) throw new Interrupted(outcome.interrupted);
          const aggregates = await this.#aggregate(tx, attempt, outcome.artifacts);
          await registerCompensation(tx, {
            runId: this.#runId,
            phase: this.phase,
            stepKey: `attempt-${attempt}/dispatch`,
            action: 'retract-artifacts',
            args: { artifactIds: [...outcome.artifacts, ...aggregates].map((a) => a.id) },
          });
          return {
            artifactIds: [...outcome.artifacts, ...aggregates].map((a) => a.id),
            failed: outcome.failed,
          };
        },
      )
      .catch((error: unknown) => {
        if (error instanceof Interrupted) return undefined;
        throw error;
      });
    if (!dispatched) return this.#interrupt(interrupted ?? 'pause', attempt);
    const healed = await steps.step('heal', async () => {
      await this.#stage(attempt, 'heal', 55);
      if (dispatched.failed.length === 0) return { retried: [] as string[] };
      // Heal: an agent whose task failed all its attempts is a blocking doer; the orchestrator's
      // generalist completes its task (self-execution, marked in provenance). The gate then asks for
      // a waiver: work the doer could not do never passes a gate by itself.
      const retry = new Set(dispatched.failed.map((f) => f.agentId));
      await db.transaction((tx) =>
        appendLedger(tx, {
          runId: this.#runId,
          type: 'decision',
          data: {
            phase: this.phase,
            attempt,
            decision: 'self-execution',
            agents: [...retry],
            failures: dispatched.failed.map((f) => ({
              agentId: f.agentId,
              taskId: f.taskId,
              state: f.state,
              error: f.error?.message ?? null,
            })),
          },
          provenance: { by: 'heal', executor: GENERALIST },
        }),
      );
      const outcome = await dispatchPhase(
        { db, queue, catalog },
        {
          runId: this.#runId,
          phase: this.phase,
          phaseRowId: this.#phaseRowId,
          gateAttempt: attempt,
          plan: this.#plan,
          waves: planWaves(
            { ...this.#plan, agents: this.#plan.agents.filter((a) => retry.has(a.id)) },
            catalog,
          ),
          hints: [
            ...state.hints,
            'heal: the previous task for this agent failed; produce a complete, schema-valid output',
          ],
          rerun: retry,
          previous: [],
          context,
          unstick: { strategy: 'self-execution', rung: 5, reason: 'the doer failed all its attempts' },
          interrupted: () => this.#signal(),
          onProgress: async () => {},
        },
      );
      if (outcome.failed.length > 0) throw dispatchFailure(outcome.failed);
      return { retried: [...retry] };
    });
    await steps.step('apply', async () => {
      await this.#stage(attempt, 'apply', 60);
      const workbench = this.#workbench();
      if (!workbench) return [];
      const own = (await this.#attemptArtifacts(attempt)).filter((a) => a.phase === this.phase);
      return applyCode(this.#stageContext(workbench, attempt), this.#inAgentOrder(own));
    });
    await steps.step('measure', async () => {
      await this.#stage(attempt, 'measure', 63);
      if (this.#plan.measure.length === 0) return [];
      const workbench = this.#workbench();
      if (!workbench)
        throw new IdeaMineError(
          ErrorCode.invalidConfig,
          `${this.phase} measures with ${this.#plan.measure.join(', ')} but this runtime has no workspace`,
        );
      return (await measureWorkspace(this.#stageContext(workbench, attempt), this.#plan)).map((a) => a.id);
    });
    const guarded = await steps.step('guard', async () => {
      await this.#stage(attempt, 'guard', 67);
      return this.#guard(await this.#attemptArtifacts(attempt));
    });
    const artifacts = await this.#attemptArtifacts(attempt);
    const clarified = await steps.step(
      'clarify',
      async () => {
        await this.#stage(attempt, 'clarify', 75);
        return this.#clarify(attempt, artifacts);
      },
      async (tx, result) => {
        // Booked with the step's record: a crash before this commit re-runs the triad and books it
        // once; after it, the stored step is replayed and books nothing.
        await new BudgetAccount(db, this.#runId, this.phase).settle(
          { tokens: 0, usd: 0 },
          { tokens: result.usage.inputTokens + result.usage.outputTokens, usd: result.usage.costUsd },
          tx,
        );
        if (result.assumptionIds.length > 0) {
          await registerCompensation(tx, {
            runId: this.#runId,
            phase: this.phase,
            stepKey: `attempt-${attempt}/clarify`,
            action: 'invalidate-assumptions',
            args: { assumptionIds: result.assumptionIds },
          });
        }
        return result;
      },
    );
    return steps.step(
      'handoff',
      async () => {
        await this.#stage(attempt, 'handoff', 90);
        return undefined;
      },
      (tx) => this.#handoff(tx, attempt, artifacts, guarded, clarified, healed.retried),
    );
  }

  /** Upstream artifacts (their phases' last attempts) plus this phase's artifacts of this attempt. */
  async #attemptArtifacts(attempt: number): Promise<ArtifactRecord[]> {
    const all = await listArtifacts(this.#deps.db, this.#runId);
    const upstream = latestArtifacts(all.filter((a) => a.phase !== this.phase));
    return stableOrder([
      ...upstream,
      ...all.filter(
        (a) =>
          a.phase === this.phase &&
          Number(a.provenance['gateAttempt']) === attempt &&
          // What the orchestrator measured belongs to one retry generation: a retried phase measures
          // the workspace afresh instead of reading the reports of the run it replaces.
          (!GENERATIONAL_SOURCES.has(String(a.provenance['source'])) ||
            Number(a.provenance['generation'] ?? 0) === this.#generation),
      ),
    ]);
  }

  #workbench(): Workbench | undefined {
    return this.#deps.workbench;
  }

  #stageContext(workbench: Workbench, attempt: number) {
    return {
      db: this.#deps.db,
      workbench,
      runId: this.#runId,
      phase: this.phase,
      attempt,
      generation: this.#generation,
    };
  }

  /** Code is committed in the phase's agent order, so a later agent's patch lands on an earlier one's tree. */
  #inAgentOrder(artifacts: readonly ArtifactRecord[]): ArtifactRecord[] {
    const order = new Map(this.#plan.agents.map((a, i) => [a.id, i]));
    return [...artifacts].sort(
      (a, b) => (order.get(a.name) ?? order.size) - (order.get(b.name) ?? order.size),
    );
  }

  /**
   * What a fixer needs on a later gate attempt: the previous attempt's tool reports (the real failing
   * tests and their messages) and the workspace's files as committed.
   */
  async #fixContext(previous: readonly ArtifactRecord[]): Promise<ArtifactView[]> {
    const workbench = this.#workbench();
    if (!workbench || this.#plan.measure.length === 0) return [];
    // Timings and commit ids differ between two runs of the same idea: leaving them out keeps a
    // fixer's prompt a function of what failed and of the code, so a recorded run replays.
    const reports = previous.filter(isToolReport).map((a) => ({
      id: a.id,
      type: a.type,
      name: a.name,
      phase: a.phase,
      content: withoutVolatileFields(a.content),
    }));
    const snapshot = await workbench.snapshot(this.#runId);
    return [
      ...reports,
      {
        id: 'workspace',
        type: 'WorkspaceSnapshot',
        name: 'workspace',
        phase: this.phase,
        content: { commit: null, files: snapshot.files },
      },
    ];
  }

  #guard(artifacts: readonly ArtifactRecord[]): GuardOutput[] {
    const views: ArtifactView[] = artifacts.map((a) => ({
      id: a.id,
      type: a.type,
      name: a.name,
      phase: a.phase,
      content: a.content,
    }));
    return this.#deps.catalog.guardsFor(this.phase).map((g) => g.evaluate(views));
  }

  /**
   * Q/A/V over this phase's draft, checked against the upstream artifacts. Later gate attempts ask
   * more questions (the "strict Q/A/V" fix for coverage and ambiguity failures).
   */
  async #clarify(attempt: number, artifacts: readonly ArtifactRecord[]): Promise<ClarifyResult> {
    const view = (a: ArtifactRecord): ArtifactView => ({
      id: a.id,
      type: a.type,
      name: a.name,
      phase: a.phase,
      content: a.content,
    });
    // Tool reports are measurements and code is code: neither is a draft whose claims need grounding
    // (and their timings would make the triad's prompts differ between a run and its replay).
    const prose = artifacts.filter((a) => !isToolReport(a) && !CODE_ARTIFACT_TYPES.has(a.type));
    const budget = new BudgetAccount(this.#deps.db, this.#runId, this.phase);
    const allowance = await budget.allowance();
    const result = await clarify({
      db: this.#deps.db,
      model: this.#deps.model,
      runId: this.#runId,
      phase: this.phase,
      artifacts: prose.filter((a) => a.phase === this.phase).map(view),
      references: prose.filter((a) => a.phase !== this.phase).map(view),
      thresholds: {
        fissionMinCoverage: this.#plan.refinery.fissionMinCoverage,
        fusionMinConsensus: this.#plan.refinery.fusionMinConsensus,
      },
      maxQuestions: Math.min(40, 8 + 8 * attempt),
      budget: allowance,
    });
    return result;
  }

  async #handoff(
    tx: import('../storage/database.ts').Queryable,
    attempt: number,
    artifacts: readonly ArtifactRecord[],
    reports: GuardOutput[],
    qav: ClarifyResult,
    healed: string[],
  ): Promise<GateResult> {
    const { db } = this.#deps;
    const metrics: Record<string, number | boolean> = {};
    const origins: Record<string, MetricOrigin> = {};
    for (const r of reports) {
      Object.assign(metrics, r.metrics);
      for (const m of Object.keys(r.metrics)) origins[m] = { source: 'agent', by: `guard ${r.guardId}` };
    }
    // Tool reports of this attempt: their figures replace whatever a guard derived from agent output.
    const latest = (type: string) => artifacts.filter((a) => a.type === type).at(-1)?.content;
    for (const [metric, measured] of Object.entries(
      measuredMetrics(
        artifacts.filter((a) => a.phase === this.phase && isToolReport(a)),
        latest('UserStories'),
        latest('PerfBudgets'),
      ),
    )) {
      const { value, ...origin } = measured;
      metrics[metric] = value;
      origins[metric] = origin;
    }
    if (healed.length > 0) {
      metrics['self_executed'] = healed.length;
      origins['self_executed'] = {
        source: 'agent',
        by: GENERALIST,
        detail: `completed by the orchestrator's generalist after the doer failed: ${healed.join(', ')}; accepting it needs a waiver`,
      };
    }
    Object.assign(metrics, {
      fission_coverage: qav.coverage,
      grounded_coverage: qav.groundedCoverage,
      fusion_consensus: qav.consensus,
      kmap_conflicts: qav.conflicts,
      qav_grounding: qav.grounding,
      user_prompts: qav.userPrompts,
    });
    const own = artifacts.filter((a) => a.phase === this.phase);
    const evidencePackId = await insertEvidencePack(tx, {
      runId: this.#runId,
      phase: this.phase,
      attempt,
      artifacts: own.map((a) => ({ id: a.id, type: a.type, hash: a.hash })),
      guardReports: reports,
      qavSummary: {
        questions: qav.questions,
        accepted: qav.accepted,
        rejected: qav.rejected,
        unknown: qav.unknown,
        grounding: qav.grounding,
        assumptionIds: qav.assumptionIds,
        healed,
      },
      kmapRefs: qav.frameIds,
      metrics,
    });
    await emit(
      db,
      { type: 'phase.ready', runId: this.#runId, phase: this.phase, payload: { attempt, evidencePackId } },
      tx,
    );
    const rubrics = {
      ...this.#plan.rubrics,
      fission_coverage_min: this.#plan.refinery.fissionMinCoverage,
      fusion_consensus_min: this.#plan.refinery.fusionMinConsensus,
      // Self-execution never passes a gate by itself: the rubric fails unless a waiver covers it.
      ...(healed.length > 0 ? { self_executed_max: 0 } : {}),
    };
    const gate = evaluateGate({
      phase: this.phase,
      attempt,
      rubrics,
      metrics: metrics as Metrics,
      waiversAllowed: [...this.#plan.waiversAllowed, ...(healed.length > 0 ? ['self_executed_max'] : [])],
      waivers: await activeWaivers(tx, this.#runId, this.phase),
      now: this.#deps.now?.() ?? new Date(),
      evidence: {
        measured: this.#plan.measuredMetrics,
        origins,
        unmeasured: unmeasuredReasons(artifacts.filter((a) => a.phase === this.phase)),
      },
    });
    const hints = gate.pass
      ? []
      : [...new Set(gate.reasons.flatMap((r) => this.#deps.catalog.fixPlanFor(r).hints))];
    const result: GateResult = { ...gate, evidencePackId, ...(hints.length ? { hints } : {}) };
    const repeat = await detectRepeat(tx, this.#fixLoop, attempt, gate);
    await appendLedger(tx, {
      runId: this.#runId,
      type: 'gate',
      data: {
        phase: this.phase,
        attempt,
        pass: gate.pass,
        score: gate.score,
        reasons: gate.reasons,
        evidencePackId,
      },
      provenance: { gatekeeper: 'code', rubrics },
    });
    // Recorded in the handoff's transaction: the step journal holds the gate and this decision
    // together, so a crash never loses one of them or writes it twice.
    if (repeat) await recordRepeat(tx, this.#fixLoop, repeat, evidencePackId);
    await updatePhase(tx, this.#runId, this.phase, { gateAttempts: attempt, evidencePackId });
    const willRetry = !gate.pass && attempt < this.#plan.maxGateAttempts && !repeat;
    await emit(
      db,
      {
        type: gate.pass ? 'phase.gate.passed' : 'phase.gate.failed',
        runId: this.#runId,
        phase: this.phase,
        payload: gate.pass
          ? { attempt, score: gate.score, evidencePackId, waiversApplied: gate.waiversApplied ?? [] }
          : {
              attempt,
              score: gate.score,
              evidencePackId,
              reasons: gate.reasons,
              failedRubrics: gate.rubricResults.filter((r) => !r.pass && !r.waived).map((r) => r.rubric),
              hints,
              willRetry,
            },
      },
      tx,
    );
    return result;
  }

  /** Loop-until-pass: pick a fix for each failure reason and record the decision. */
  async #planFix(attempt: number, gate: GateResult): Promise<AttemptState> {
    return this.#steps.child(`fix-${attempt}`).step(
      'fix',
      async () => {
        const plans = gate.reasons.map((r) => this.#deps.catalog.fixPlanFor(r));
        const rerunAgents = plans.some((p) => p.agents.length === 0)
          ? []
          : [...new Set(plans.flatMap((p) => p.agents))];
        return {
          hints: [...new Set(plans.flatMap((p) => p.hints))],
          rerunAgents,
          strategies: plans.map((p) => ({ rubric: p.rubric, strategy: p.strategy })),
        };
      },
      async (tx, fix) => {
        await appendLedger(tx, {
          runId: this.#runId,
          type: 'decision',
          data: {
            phase: this.phase,
            attempt,
            decision: 'auto-fix',
            strategies: fix.strategies,
            rerunAgents: fix.rerunAgents,
            hints: fix.hints,
          },
          provenance: { by: 'loop-until-pass', reasons: gate.reasons },
        });
        await emit(
          this.#deps.db,
          {
            type: 'phase.retry',
            runId: this.#runId,
            phase: this.phase,
            payload: {
              attempt: attempt + 1,
              maxAttempts: this.#plan.maxGateAttempts,
              reasons: gate.reasons,
              hints: fix.hints,
            },
          },
          tx,
        );
        return { hints: fix.hints, rerunAgents: fix.rerunAgents };
      },
    );
  }

  /** The gate verdict of a phase whose timebox ran out: it fails, with the timebox as the reason. */
  #timeboxGate(attempt: number): GateResult {
    return {
      phase: this.phase,
      attempt,
      pass: false,
      score: 0,
      reasons: [`timebox ${this.#plan.timebox} exceeded`],
      rubricResults: [],
    };
  }

  /** The phase fails: its gate failed every attempt, its timebox ran out, or its fix loop repeated. */
  async #escalate(attempt: number, gate: GateResult, repeat?: FixLoopReport): Promise<PhaseOutcome> {
    await this.#steps.step(
      'escalate',
      async () => undefined,
      async (tx) => {
        const failed = `${this.phase} gate failed ${attempt} times`;
        const error = {
          code: 'GATE_FAILED',
          message: repeat
            ? `${failed} and the fix loop stopped (${repeat.maxAttempts} attempts allowed): ${repeat.reason}. Last gate: ${gate.reasons.join('; ')}`
            : `${failed}: ${gate.reasons.join('; ')}`,
          reasons: gate.reasons,
          ...(repeat ? { fixLoop: repeat } : {}),
        };
        await appendLedger(tx, {
          runId: this.#runId,
          type: 'decision',
          data: {
            phase: this.phase,
            decision: 'escalate',
            attempts: attempt,
            reasons: gate.reasons,
            ...(repeat ? { stoppedBy: 'fix-loop-repeated', fixLoop: repeat.reason } : {}),
          },
          provenance: { by: 'loop-until-pass' },
        });
        await compensatePhase(this.#deps.db, this.#runId, this.phase, tx);
        await updatePhase(tx, this.#runId, this.phase, { status: 'failed', completed: true, error });
        await this.#recordMetrics(tx, 'failed', attempt);
        await emit(
          this.#deps.db,
          {
            type: 'phase.complete',
            runId: this.#runId,
            phase: this.phase,
            payload: {
              attempts: attempt,
              outcome: 'failed',
              durationMs: Date.now() - this.#started,
              usage: await this.#usage(tx),
              ...(gate.evidencePackId ? { evidencePackId: gate.evidencePackId } : {}),
            },
          },
          tx,
        );
      },
    );
    return 'failed';
  }

  async #finish(outcome: 'passed', attempt: number): Promise<PhaseOutcome> {
    await this.#steps.step(
      'finish',
      async () => undefined,
      async (tx) => {
        await updatePhase(tx, this.#runId, this.phase, {
          status: 'passed',
          completed: true,
          stage: 'handoff',
        });
        await this.#recordMetrics(tx, 'passed', attempt);
        await emit(
          this.#deps.db,
          {
            type: 'phase.complete',
            runId: this.#runId,
            phase: this.phase,
            payload: {
              attempts: attempt,
              outcome,
              durationMs: Date.now() - this.#started,
              usage: await this.#usage(tx),
            },
          },
          tx,
        );
      },
    );
    return outcome;
  }

  /** The phase_metrics row of this generation, in the transaction that ends the phase. */
  async #recordMetrics(
    tx: import('../storage/database.ts').Queryable,
    outcome: 'passed' | 'failed',
    gateAttempts: number,
  ): Promise<void> {
    await recordPhaseMetrics(tx, {
      runId: this.#runId,
      phase: this.phase,
      generation: this.#generation,
      outcome,
      gateAttempts,
      stepScope: this.#steps.scope,
    });
  }

  async #usage(q: import('../storage/database.ts').Queryable): Promise<Record<string, number>> {
    const rows = await q.query<{ usage: Record<string, number> }>(
      'select usage from phases where run_id = $1 and phase_id = $2',
      [this.#runId, this.phase],
    );
    const u = rows[0]?.usage ?? {};
    return {
      tokens: Math.round(u['tokens'] ?? 0),
      toolsMinutes: u['toolsMinutes'] ?? 0,
      gpuHours: u['gpuHours'] ?? 0,
      usd: u['usd'] ?? 0,
    };
  }

  async #aggregate(
    tx: import('../storage/database.ts').Queryable,
    attempt: number,
    artifacts: readonly ArtifactRecord[],
  ): Promise<ArtifactRecord[]> {
    const byType = new Map<string, ArtifactRecord[]>();
    for (const a of artifacts) byType.set(a.type, [...(byType.get(a.type) ?? []), a]);
    const out: ArtifactRecord[] = [];
    for (const [type, group] of [...byType.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (group.length < 2) continue;
      const ordered = [...group].sort((a, b) => a.name.localeCompare(b.name));
      const content = aggregate(
        ordered.map((a) => a.content),
        this.#plan.aggregation,
      );
      const { artifact } = await insertArtifact(tx, {
        runId: this.#runId,
        phase: this.phase,
        type: `${type}.aggregate`,
        name: `${this.phase}.${type}`,
        content,
        hash: hashOf(content),
        provenance: {
          source: 'aggregation',
          strategy: this.#plan.aggregation,
          inputs: ordered.map((a) => a.id),
          inputHashes: Object.fromEntries(ordered.map((a) => [a.id, a.hash])),
          gateAttempt: attempt,
        },
        idempotencyKey: `aggregate:${this.#runId}:${this.phase}:${attempt}:${type}`,
      });
      out.push(artifact);
    }
    return out;
  }

  async #stage(attempt: number, stage: string, pct: number): Promise<void> {
    await updatePhase(this.#deps.db, this.#runId, this.phase, { stage });
    await this.#progress(attempt, stage, undefined, undefined, pct);
  }

  async #progress(
    attempt: number,
    stage: string,
    done?: number,
    total?: number,
    pct?: number,
  ): Promise<void> {
    const share = total ? (done ?? 0) / total : 0;
    await emit(this.#deps.db, {
      type: 'phase.progress',
      runId: this.#runId,
      phase: this.phase,
      payload: {
        attempt,
        stage,
        pct: pct ?? Math.round(10 + share * 40),
        tasksDone: done ?? 0,
        tasksTotal: total ?? this.#plan.agents.length,
      },
    });
  }

  /** Reads the persisted run/phase signal: the coordinator honours pause and cancel between stages and while waiting. */
  async #signal(): Promise<Interruption | undefined> {
    const run = await getRun(this.#deps.db, this.#runId);
    if (run?.signal) return run.signal;
    const phase = (await getPhases(this.#deps.db, this.#runId)).find((p) => p.phase === this.phase);
    return phase?.signal === 'pause' || phase?.signal === 'cancel' || phase?.signal === 'timebox'
      ? phase.signal
      : undefined;
  }

  async #interrupt(signal: Interruption, attempt: number): Promise<'paused' | 'cancelled' | 'timebox'> {
    if (signal === 'timebox') return 'timebox';
    const status = signal === 'pause' ? 'paused' : 'cancelled';
    await updatePhase(this.#deps.db, this.#runId, this.phase, { status });
    if (signal === 'pause')
      await emit(this.#deps.db, {
        type: 'phase.paused',
        runId: this.#runId,
        phase: this.phase,
        payload: { attempt, reason: 'signal' },
      });
    return status;
  }
}

const VOLATILE = new Set(['durationMs', 'commit']);

function withoutVolatileFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutVolatileFields);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !VOLATILE.has(k))
      .map(([k, v]) => [k, withoutVolatileFields(v)]),
  );
}

class Interrupted extends Error {
  readonly signal: Interruption;
  constructor(signal: Interruption) {
    super(`interrupted by ${signal}`);
    this.signal = signal;
  }
}
