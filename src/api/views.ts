import type { TaskRecord } from '../queue/task-queue.ts';
import type { StoredEvent } from '../storage/event-store.ts';
import type { PhaseRecord, RunRecord } from '../storage/run-store.ts';
import type { TokenRecord } from '../storage/token-store.ts';
import type { GrantedWaiver } from '../storage/waiver-store.ts';
import type { EventView, PhaseView, RunView, TaskView, TokenView, WaiverView } from './schemas.ts';

/** Domain records → the API's JSON shapes (schemas.ts). */

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function runView(r: RunRecord): RunView {
  const leaseLive = r.leaseOwner !== null && r.leaseUntil !== null && r.leaseUntil.getTime() > Date.now();
  return {
    id: r.id,
    status: r.status,
    title: String(r.idea['title'] ?? ''),
    idea: r.idea,
    planHash: r.planHash,
    budgets: r.budgets,
    usage: r.usage,
    signal: r.signal,
    driver: leaseLive ? r.leaseOwner : null,
    error: r.error,
    createdAt: r.createdAt.toISOString(),
    startedAt: iso(r.startedAt),
    completedAt: iso(r.completedAt),
  };
}

export function phaseView(p: PhaseRecord): PhaseView {
  return {
    phase: p.phase,
    status: p.status,
    stage: p.stage,
    gateAttempts: p.gateAttempts,
    generation: p.generation,
    budgets: p.budgets,
    usage: p.usage,
    signal: p.signal,
    error: p.error,
    startedAt: iso(p.startedAt),
    completedAt: iso(p.completedAt),
  };
}

export function eventView(e: StoredEvent): EventView {
  return {
    seq: e.seq,
    id: e.id,
    type: e.type,
    runId: e.runId,
    phase: e.phase,
    taskId: e.taskId,
    payload: e.payload,
    createdAt: e.createdAt.toISOString(),
  };
}

export function taskView(t: TaskRecord): TaskView {
  return {
    id: t.id,
    type: t.type,
    kind: t.kind,
    queue: t.queue,
    state: t.state,
    runId: t.runId,
    input: t.input,
    priority: t.priority,
    attempt: t.attempt,
    maxAttempts: t.maxAttempts,
    progress: (t.progress as Record<string, unknown> | null) ?? null,
    result: t.result ?? null,
    error: (t.error as unknown as Record<string, unknown> | null) ?? null,
    runAt: t.runAt.toISOString(),
    createdAt: t.createdAt.toISOString(),
    startedAt: iso(t.startedAt),
    completedAt: iso(t.completedAt),
  };
}

/** A token without its secret (the table has none to give). */
export function tokenView(t: TokenRecord): TokenView {
  return {
    id: t.id,
    name: t.name,
    scopes: t.scopes,
    createdAt: t.createdAt.toISOString(),
    revokedAt: iso(t.revokedAt),
    lastUsedAt: iso(t.lastUsedAt),
  };
}

export function waiverView(w: GrantedWaiver): WaiverView {
  return { ...w, expiresAt: w.expiresAt.toISOString(), createdAt: w.createdAt.toISOString() };
}
