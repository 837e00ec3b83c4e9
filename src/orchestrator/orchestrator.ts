import { hostname } from 'node:os';
import type { PhaseConfigSet } from '../config/load-phase-configs.ts';
import type { Idea } from '../core/agent.ts';
import { coerceError, ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import { hashOf } from '../core/ids.ts';
import type { RunPlan } from '../core/schemas/run-plan.ts';
import { TraceAttr, withSpan } from '../core/trace.ts';
import { isOwnerDead, RunLease } from '../engine/run-lease.ts';
import { type StepFence, StepRunner } from '../engine/steps.ts';
import { TimerService } from '../engine/timers.ts';
import { appendLedger } from '../observability/ledger.ts';
import type { HeadSigner } from '../observability/ledger-heads.ts';
import { type Logger, silentLogger } from '../observability/logger.ts';
import { isProcessAlive } from '../storage/lock-file.ts';
import { recordPhaseMetrics } from '../storage/phase-metrics-store.ts';
import { markPhaseTimeboxed } from '../storage/run-signal-store.ts';
import {
  getPhases,
  getRun,
  insertArtifact,
  insertPhases,
  insertRun,
  type PhaseRecord,
  retryPhases,
  setRunPlan,
  updatePhase,
  updateRun,
} from '../storage/run-store.ts';
import { emit } from './events.ts';
import { reclaimOrphanedTasks } from './orphans.ts';
import { type CoordinatorDeps, PhaseCoordinator, type PhaseOutcome } from './phase-coordinator.ts';
import { planRun } from './run-planner.ts';
import { runSignalWakeups } from './run-signals.ts';

/**
 * Drives runs. It is a reconciler over stored state: any process holding the run lease can pick a
 * run up wherever it stopped. Phases start when every phase they depend on has passed its gate;
 * phases of one DAG level run concurrently (security ∥ story-loop).
 */

export type RunOutcome = 'succeeded' | 'failed' | 'paused' | 'cancelled';

export interface OrchestratorDeps extends CoordinatorDeps {
  owner: string;
  leaseMs?: number;
  logger?: Logger;
  /**
   * Called when a run has succeeded or failed, after its final status is stored, inside the driving
   * process (to write the dossier). A crash before it ran loses nothing: `ideamine dossier` rewrites it.
   */
  onSettled?: (runId: string, outcome: 'succeeded' | 'failed') => Promise<void>;
  /**
   * Signs the run's ledger head at every phase boundary and at the run's end. Without one (library
   * tests) the ledger is only hash-chained, which a database writer can recompute.
   */
  heads?: HeadSigner;
}

const DONE = new Set(['passed', 'skipped']);

/** The pseudo-phase of artifacts given to the run rather than produced by it (the idea). */
export const INPUT_PHASE = 'input';

export class Orchestrator {
  readonly #deps: OrchestratorDeps;
  readonly #logger: Logger;

  constructor(deps: OrchestratorDeps) {
    this.#deps = deps;
    this.#logger = deps.logger ?? silentLogger;
  }

  /** Plans and stores a new run with its phases; nothing runs yet. */
  async createRun(idea: Idea, configs: PhaseConfigSet): Promise<{ runId: string; plan: RunPlan }> {
    const { db } = this.#deps;
    this.#deps.heads?.ready(); // a bad ledger key fails here, before anything is stored
    // Auto-doer: capabilities the configs name but no registered agent has get a generated agent.
    const generated =
      (await this.#deps.catalog.ensureAgents?.(configs.phases.flatMap((p) => p.agents.map((a) => a.id)))) ??
      [];
    return db.transaction(async (tx) => {
      const draft = planRun('00000000-0000-4000-8000-000000000000', configs, this.#deps.catalog);
      const runId = await insertRun(tx, {
        idea,
        plan: draft,
        planHash: draft.planHash,
        budgets: draft.budgets,
      });
      const plan = planRun(runId, configs, this.#deps.catalog);
      await setRunPlan(tx, runId, plan, plan.planHash);
      await insertPhases(
        tx,
        runId,
        plan.phases.map((p) => ({ phase: p.phase, budgets: p.budgets, planHash: p.planHash })),
      );
      for (const agent of generated) {
        await appendLedger(tx, {
          runId,
          type: 'decision',
          data: {
            decision: 'auto-doer',
            agent: `${agent.id}@${agent.version}`,
            produces: agent.produces,
            purpose: agent.purpose,
          },
          provenance: { by: 'auto-doer', registry: 'agent_registry' },
        });
      }
      // The idea itself is the first artifact: the source every later claim can be checked against.
      await insertArtifact(tx, {
        runId,
        phase: INPUT_PHASE,
        type: 'Idea',
        name: 'idea',
        content: idea,
        hash: hashOf(idea),
        provenance: { source: 'user', gateAttempt: 1 },
        idempotencyKey: `idea:${runId}`,
      });
      await emit(
        this.#deps.db,
        { type: 'run.created', runId, payload: { title: idea.title, planHash: plan.planHash } },
        tx,
      );
      return { runId, plan };
    });
  }

  /** Persists a signal; the driving process (this one or another) honours it at the next stage boundary. */
  async signal(runId: string, signal: 'pause' | 'cancel', actor = 'cli'): Promise<void> {
    const run = await this.#requireRun(runId);
    if (['succeeded', 'failed', 'cancelled'].includes(run.status)) {
      throw new IdeaMineError(ErrorCode.conflict, `run ${runId} is already ${run.status}`);
    }
    await this.#deps.db.transaction(async (tx) => {
      await updateRun(tx, runId, { signal });
      if (signal === 'pause')
        await emit(this.#deps.db, { type: 'run.paused', runId, payload: { reason: 'signal', actor } }, tx);
      // The driving process (this one or another) may be waiting for tasks: wake it to read the signal.
      await runSignalWakeups(this.#deps.db).announce(tx, runId);
    });
    if (signal === 'cancel') {
      const tasks = await this.#deps.queue.list({ runId, limit: 10_000 });
      for (const t of tasks)
        if (t.state === 'ready' || t.state === 'running') await this.#deps.queue.cancel(t.id);
    }
  }

  /**
   * Operator retry. Without a phase: the failed or cancelled phases of the run start over in a new
   * generation. With a phase: that phase and every phase downstream of it start over, whatever they
   * ended as (a succeeded run included) — their evidence was taken on a workspace that may have changed.
   */
  async retry(runId: string, phase?: string): Promise<string[]> {
    const run = await this.#requireRun(runId);
    const plan = run.plan as RunPlan | null;
    let scope: string[] | undefined;
    if (phase !== undefined) {
      const known = plan?.phases.map((p) => p.phase) ?? [];
      if (!known.includes(phase))
        throw new IdeaMineError(
          ErrorCode.invalidInput,
          `run ${runId} has no phase "${phase}"; its phases: ${known.join(', ')}`,
        );
      scope = downstreamOf(phase, plan?.phases ?? []);
    } else if (run.status === 'succeeded') {
      throw new IdeaMineError(
        ErrorCode.conflict,
        `run ${runId} already succeeded; name a phase to run it again: ideamine retry ${runId} --phase <phase>`,
      );
    }
    const phases = await this.#deps.db.transaction(async (tx) => {
      const order = (plan?.phases ?? []).map((p) => p.phase);
      const reset = (await retryPhases(tx, runId, scope)).sort((a, b) => order.indexOf(a) - order.indexOf(b));
      for (const p of reset)
        await emit(
          this.#deps.db,
          {
            type: 'phase.retry',
            runId,
            phase: p,
            payload: { attempt: 1, maxAttempts: 1, reasons: ['operator retry'], hints: [] },
          },
          tx,
        );
      return reset;
    });
    if (phases.length === 0)
      throw new IdeaMineError(
        ErrorCode.conflict,
        phase
          ? `phase ${phase} of run ${runId} has not run yet: resume the run instead`
          : `run ${runId} has no failed or cancelled phase to retry`,
      );
    return phases;
  }

  /** Drives a run until it succeeds, fails, is paused or cancelled. Throws CONFLICT if another process drives it. */
  async drive(runId: string): Promise<RunOutcome> {
    const { db } = this.#deps;
    const run = await this.#requireRun(runId);
    if (run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled')
      return run.status;
    this.#deps.heads?.ready();
    const lease = new RunLease(db, this.#deps.owner, this.#deps.leaseMs ?? 30_000);
    let fence = await lease.acquire(runId);
    if (!fence && run.leaseOwner && isOwnerDead(run.leaseOwner, hostname(), isProcessAlive)) {
      this.#logger.info({ runId, deadOwner: run.leaseOwner }, 'taking over the run from a dead process');
      fence = await lease.takeOverFrom(runId, run.leaseOwner);
    }
    if (!fence) {
      throw new IdeaMineError(
        ErrorCode.conflict,
        `run ${runId} is being driven by ${run.leaseOwner} (lease until ${run.leaseUntil?.toISOString()})`,
        {
          errorClass: ErrorClass.transient,
        },
      );
    }
    let leaseLost: unknown;
    const stopKeepAlive = lease.keepAlive(fence, (error) => {
      leaseLost = error;
    });
    // Phase timeboxes fire in the process that drives the run (overdue ones fire at once on resume).
    const timers = new TimerService({
      db,
      pollMs: 500,
      handlers: {
        timebox: async (timer, tx) => {
          const signalled = await markPhaseTimeboxed(tx, String(timer.payload['phaseRowId']));
          // Wakes the phase's coordinator if it is waiting for its tasks (dispatch's task waiter).
          if (signalled) await runSignalWakeups(db).announce(tx, signalled);
        },
      },
    });
    timers.start();
    try {
      await this.#reclaimOrphans(runId, run.leaseOwner, run.leaseUntil);
      if (run.signal === 'pause') await updateRun(db, runId, { signal: null });
      await db.transaction(async (tx) => {
        await updateRun(tx, runId, { status: 'running', started: true });
        if (run.status === 'paused')
          await emit(db, { type: 'run.resumed', runId, payload: { actor: this.#deps.owner } }, tx);
        await emit(
          db,
          {
            type: 'run.started',
            runId,
            payload: {
              planHash: run.planHash ?? '',
              levels: (run.plan as RunPlan).levels,
              takeover: run.status === 'running',
            },
          },
          tx,
        );
      });
      // One span per drive: a resumed run is a new trace with the same run id attribute.
      return await withSpan('run', { [TraceAttr.runId]: runId }, async (span) => {
        const outcome = await this.#reconcile(runId, run.plan as RunPlan, fence, () => leaseLost);
        await this.#settle(runId, outcome);
        span.setAttribute(TraceAttr.outcome, outcome);
        return outcome;
      });
    } finally {
      await timers.stop();
      stopKeepAlive();
      await lease.release(fence).catch(() => {});
    }
  }

  async #reconcile(runId: string, plan: RunPlan, fence: StepFence, lost: () => unknown): Promise<RunOutcome> {
    const root = new StepRunner(this.#deps.db, runId, fence);
    const active = new Map<
      string,
      Promise<{ phase: string; outcome: PhaseOutcome | 'error'; error?: unknown }>
    >();
    let interruption: 'paused' | 'cancelled' | undefined;
    for (;;) {
      if (lost()) throw lost();
      const phases = await getPhases(this.#deps.db, runId);
      const byName = new Map(phases.map((p) => [p.phase, p]));
      if (active.size === 0) {
        if (interruption) return interruption;
        if (phases.some((p) => p.status === 'failed')) return 'failed';
        if (phases.every((p) => DONE.has(p.status))) return 'succeeded';
      }
      if (!interruption && !phases.some((p) => p.status === 'failed')) {
        for (const phasePlan of plan.phases) {
          const row = byName.get(phasePlan.phase);
          if (!row || active.has(phasePlan.phase) || !this.#runnable(row, phasePlan.dependsOn, byName))
            continue;
          const scope = row.generation === 0 ? phasePlan.phase : `${phasePlan.phase}#${row.generation}`;
          const coordinator = new PhaseCoordinator(
            this.#deps,
            runId,
            row.id,
            phasePlan,
            root.child(scope),
            row.generation,
          );
          active.set(phasePlan.phase, this.#runPhase(runId, coordinator));
        }
      }
      if (active.size === 0) {
        throw new IdeaMineError(
          ErrorCode.internal,
          `run ${runId} has no runnable phase but is not finished: ${phases.map((p) => `${p.phase}=${p.status}`).join(', ')}`,
        );
      }
      const done = await Promise.race(active.values());
      active.delete(done.phase);
      await this.#signHead(runId, `phase ${done.phase} ${done.outcome}`);
      if (done.outcome === 'paused' || done.outcome === 'cancelled') interruption ??= done.outcome;
    }
  }

  #runnable(row: PhaseRecord, dependsOn: readonly string[], byName: Map<string, PhaseRecord>): boolean {
    if (!['pending', 'running', 'paused'].includes(row.status)) return false;
    return dependsOn.every((d) => DONE.has(byName.get(d)?.status ?? 'pending'));
  }

  async #runPhase(
    runId: string,
    coordinator: PhaseCoordinator,
  ): Promise<{ phase: string; outcome: PhaseOutcome | 'error'; error?: unknown }> {
    try {
      const attributes = {
        [TraceAttr.runId]: runId,
        [TraceAttr.phase]: coordinator.phase,
        [TraceAttr.generation]: coordinator.generation,
      };
      const outcome = await withSpan(`phase ${coordinator.phase}`, attributes, async (span) => {
        const result = await coordinator.run();
        span.setAttribute(TraceAttr.outcome, result);
        return result;
      });
      return { phase: coordinator.phase, outcome };
    } catch (thrown) {
      const error = coerceError(thrown);
      if (error.code === ErrorCode.leaseLost) throw error;
      this.#logger.error({ phase: coordinator.phase, err: error.message }, 'phase failed');
      await this.#deps.db.transaction(async (tx) => {
        await updatePhase(tx, runId, coordinator.phase, {
          status: 'failed',
          completed: true,
          error: error.toJSON(),
        });
        await recordPhaseMetrics(tx, {
          runId,
          phase: coordinator.phase,
          generation: coordinator.generation,
          outcome: 'failed',
          stepScope: coordinator.stepScope,
        });
        await emit(
          this.#deps.db,
          {
            type: 'phase.error',
            runId,
            phase: coordinator.phase,
            payload: {
              attempt: 1,
              stage: 'dispatch',
              error: { code: error.code, message: error.message, errorClass: error.errorClass },
              willRetry: false,
            },
          },
          tx,
        );
      });
      return { phase: coordinator.phase, outcome: 'error', error };
    }
  }

  async #settle(runId: string, outcome: RunOutcome): Promise<void> {
    const { db } = this.#deps;
    await this.#signHead(runId, `run ${outcome}`);
    const run = await this.#requireRun(runId);
    const durationMs = run.startedAt ? Date.now() - run.startedAt.getTime() : 0;
    const usage = {
      tokens: Math.round(run.usage['tokens'] ?? 0),
      toolsMinutes: Math.round((run.usage['toolsMinutes'] ?? 0) * 1_000) / 1_000,
      gpuHours: 0,
      usd: run.usage['usd'] ?? 0,
    };
    if (outcome === 'succeeded') {
      const passed = (await getPhases(db, runId))
        .filter((p) => p.status === 'passed')
        .sort((a, b) => (a.completedAt?.getTime() ?? 0) - (b.completedAt?.getTime() ?? 0));
      await db.transaction(async (tx) => {
        await updateRun(tx, runId, { status: 'succeeded', completed: true });
        await emit(
          db,
          {
            type: 'run.completed',
            runId,
            payload: { durationMs, usage, phases: passed.map((p) => p.phase) },
          },
          tx,
        );
      });
      await this.#afterSettled(runId, 'succeeded');
    } else if (outcome === 'failed') {
      const failed = (await getPhases(db, runId)).find((p) => p.status === 'failed');
      const error = {
        code: String(failed?.error?.['code'] ?? ErrorCode.gateFailed),
        message: String(failed?.error?.['message'] ?? 'a phase failed'),
        errorClass: 'fatal' as const,
      };
      await db.transaction(async (tx) => {
        await updateRun(tx, runId, { status: 'failed', completed: true, error });
        await emit(
          db,
          {
            type: 'run.failed',
            runId,
            payload: { error, ...(failed ? { failedPhase: failed.phase } : {}), usage },
          },
          tx,
        );
      });
      await this.#afterSettled(runId, 'failed');
    } else if (outcome === 'paused') {
      await updateRun(db, runId, { status: 'paused' });
    } else {
      await db.transaction(async (tx) => {
        await updateRun(tx, runId, { status: 'cancelled', completed: true });
        await emit(db, { type: 'run.cancelled', runId, payload: { reason: 'signal' } }, tx);
      });
    }
  }

  /**
   * A head that cannot be signed (the database is briefly unreachable) is logged, not fatal: the next
   * boundary signs the head again, covering every entry before it. The key itself was checked up front.
   */
  async #signHead(runId: string, at: string): Promise<void> {
    try {
      await this.#deps.heads?.signHead(runId, at);
    } catch (error) {
      this.#logger.error({ runId, at, err: coerceError(error).message }, 'could not sign the ledger head');
    }
  }

  /** Tasks the previous (dead) driver's workers still hold go back to the queue now (orphans.ts). */
  async #reclaimOrphans(runId: string, owner: string | null, leaseUntil: Date | null): Promise<void> {
    const previous = owner ? { owner, leaseUntil } : undefined;
    const { reclaimed, reservationsReleased } = await reclaimOrphanedTasks(
      this.#deps,
      runId,
      previous,
      this.#deps.owner,
    );
    if (reclaimed > 0 || reservationsReleased > 0)
      this.#logger.info({ runId, reclaimed, reservationsReleased }, "reclaimed the dead driver's tasks");
  }

  /** The run's outcome is already stored: a failure here (say, a full disk for the dossier) is logged, not fatal. */
  async #afterSettled(runId: string, outcome: 'succeeded' | 'failed'): Promise<void> {
    try {
      await this.#deps.onSettled?.(runId, outcome);
    } catch (error) {
      this.#logger.error(
        { runId, err: coerceError(error).message },
        'could not write the dossier; `ideamine dossier <run>` writes it again',
      );
    }
  }

  async #requireRun(runId: string) {
    const run = await getRun(this.#deps.db, runId);
    if (!run) throw new IdeaMineError(ErrorCode.notFound, `no run ${runId}`);
    return run;
  }
}

/** A phase and every phase that depends on it, directly or not, in plan order. */
export function downstreamOf(
  phase: string,
  phases: readonly { phase: string; dependsOn: readonly string[] }[],
): string[] {
  const reached = new Set([phase]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of phases)
      if (!reached.has(p.phase) && p.dependsOn.some((d) => reached.has(d))) {
        reached.add(p.phase);
        grew = true;
      }
  }
  return phases.map((p) => p.phase).filter((p) => reached.has(p));
}
