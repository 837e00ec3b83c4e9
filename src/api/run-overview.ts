import { parseRubricName, type RubricThreshold } from '../core/schemas/rubric.ts';
import type { RunPlan } from '../core/schemas/run-plan.ts';
import {
  assumptionCounts,
  hasDossier,
  knowledgeMapCounts,
  type LatestEvidence,
  latestEvidencePacks,
  listTaskSpans,
  listToolReports,
  type TaskSpan,
  type ToolReportRef,
} from '../storage/dashboard-queries.ts';
import type { Queryable } from '../storage/database.ts';
import { readEvents, readLatestEvents, type StoredEvent } from '../storage/event-store.ts';
import { getPhases, getRun, type PhaseRecord, type RunRecord } from '../storage/run-store.ts';

/**
 * Everything the dashboard shows about one run, in one read: the phase Gantt with gate attempts, the
 * task heatmap, gate readiness per rubric, spend against budget, the stream of problems, Q/A/V
 * coverage and links to the reports. Built from stored rows and events only, so any `serve` process
 * answers the same; the page refetches it when the event stream says something changed.
 */

/** Event types the "problems" stream shows: errors, stalls and the unsticker's decisions. */
export const PROBLEM_EVENT_TYPES = [
  'phase.error',
  'phase.stalled',
  'phase.gate.failed',
  'phase.tool.failed',
  'phase.paused',
  'task.failed',
  'task.retry',
  'task.dead',
  'task.stale_write',
  'budget.exceeded',
  'run.failed',
] as const;

const PROBLEMS_SHOWN = 50;
const HEATMAP_COLUMNS = 24;
const BURN_POINTS_MAX = 500;

export interface GateAttempt {
  attempt: number;
  pass: boolean;
  score: number;
  at: string;
}

export interface PhaseOverview {
  phase: string;
  status: PhaseRecord['status'];
  stage: string | null;
  generation: number;
  gateAttempts: number;
  maxGateAttempts: number | null;
  startedAt: string | null;
  completedAt: string | null;
  gates: GateAttempt[];
}

export interface Heatmap {
  /** Start of the first column (the run's first task), ISO; null when no task ran yet. */
  start: string | null;
  bucketMs: number;
  columns: number;
  /** Per phase, how many of its tasks were running at some point in each column. */
  rows: Array<{ phase: string; counts: number[] }>;
}

export interface RubricReadiness {
  rubric: string;
  metric: string;
  threshold: RubricThreshold;
  /** The value in the phase's latest evidence pack; null when nothing measured it. */
  actual: number | boolean | null;
  /** The gate's verdict on that evidence; null while the gate has not judged it. */
  pass: boolean | null;
}

export interface PhaseReadiness {
  phase: string;
  /** The gate attempt the evidence belongs to; null before the phase reached its first gate. */
  attempt: number | null;
  verdict: 'passed' | 'failed' | null;
  rubrics: RubricReadiness[];
}

export interface Spend {
  budgets: Record<string, number>;
  usage: Record<string, number>;
}

export interface Problem {
  seq: number;
  type: string;
  phase: string | null;
  taskId: string | null;
  at: string;
  summary: string;
}

export interface QavCoverage {
  phase: string;
  questions: number | null;
  accepted: number | null;
  rejected: number | null;
  unknown: number | null;
  fissionCoverage: number | null;
  fusionConsensus: number | null;
}

export interface ReportLink {
  id: string;
  phase: string;
  type: string;
  name: string;
}

export interface RunOverview {
  run: {
    id: string;
    title: string;
    status: RunRecord['status'];
    createdAt: string;
    startedAt: string | null;
    completedAt: string | null;
    error: string | null;
  };
  /** The last event the overview includes: the page asks the stream for what came after. */
  lastSeq: number;
  phases: PhaseOverview[];
  heatmap: Heatmap;
  readiness: PhaseReadiness[];
  spend: { run: Spend; phases: Array<Spend & { phase: string }>; burn: Array<[number, number, number]> };
  problems: Problem[];
  qav: {
    phases: QavCoverage[];
    assumptions: Record<string, number>;
    frames: Record<string, number>;
    conflicts: number;
  };
  reports: ReportLink[];
  hasDossier: boolean;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The run's phases in pipeline order: the plan's DAG levels, then any phase the plan does not name. */
export function pipelineOrder(plan: RunPlan | null, phases: readonly PhaseRecord[]): PhaseRecord[] {
  const order = plan?.levels.flat() ?? [];
  const rank = (p: string) => {
    const i = order.indexOf(p);
    return i === -1 ? order.length : i;
  };
  return [...phases].sort((a, b) => rank(a.phase) - rank(b.phase));
}

/** Gate attempts per phase from the gate events, in order. */
export function gateAttempts(events: readonly StoredEvent[]): Map<string, GateAttempt[]> {
  const byPhase = new Map<string, GateAttempt[]>();
  for (const e of events) {
    if (!e.phase || (e.type !== 'phase.gate.passed' && e.type !== 'phase.gate.failed')) continue;
    const list = byPhase.get(e.phase) ?? [];
    list.push({
      attempt: Number(e.payload['attempt'] ?? list.length + 1),
      pass: e.type === 'phase.gate.passed',
      score: Number(e.payload['score'] ?? 0),
      at: e.createdAt.toISOString(),
    });
    byPhase.set(e.phase, list);
  }
  return byPhase;
}

/**
 * Tasks over time: the span from the first task's start to `now` (or the last task's end) cut into
 * `columns` equal columns; a cell counts the phase's tasks that were running during that column.
 */
export function taskHeatmap(
  spans: readonly TaskSpan[],
  phases: readonly string[],
  now: Date,
  columns = HEATMAP_COLUMNS,
): Heatmap {
  const started = spans.filter((s) => s.startedAt !== null);
  const rows = phases.map((phase) => ({ phase, counts: new Array<number>(columns).fill(0) }));
  if (started.length === 0) return { start: null, bucketMs: 0, columns, rows };
  const start = Math.min(...started.map((s) => (s.startedAt as Date).getTime()));
  const running = started.some((s) => s.completedAt === null);
  const end = running ? now.getTime() : Math.max(...started.map((s) => (s.completedAt as Date).getTime()));
  const bucketMs = Math.max(1_000, Math.ceil((end - start + 1) / columns));
  const rowOf = new Map(rows.map((r) => [r.phase, r]));
  for (const span of started) {
    const row = rowOf.get(span.phase ?? '');
    if (!row) continue;
    const from = Math.floor(((span.startedAt as Date).getTime() - start) / bucketMs);
    const to = Math.floor(((span.completedAt ?? now).getTime() - start) / bucketMs);
    for (let c = Math.max(0, from); c <= Math.min(columns - 1, to); c++)
      row.counts[c] = (row.counts[c] ?? 0) + 1;
  }
  return { start: new Date(start).toISOString(), bucketMs, columns, rows };
}

/** The thresholds the gate of `phase` checks: its rubrics plus the two refinery thresholds. */
function rubricsOf(plan: RunPlan | null, phase: string): Record<string, RubricThreshold> {
  const p = plan?.phases.find((x) => x.phase === phase);
  if (!p) return {};
  return {
    ...p.rubrics,
    fission_coverage_min: p.refinery.fissionMinCoverage,
    fusion_consensus_min: p.refinery.fusionMinConsensus,
  };
}

/**
 * Each rubric's measured value against its threshold. The verdict is the gate's own (from its event
 * on that evidence pack): the dashboard never re-judges, since only the gatekeeper knows which figures
 * came from a tool.
 */
export function gateReadiness(
  plan: RunPlan | null,
  phase: string,
  evidence: LatestEvidence | undefined,
  gateEvents: readonly StoredEvent[],
): PhaseReadiness {
  const judged = evidence
    ? gateEvents.findLast((e) => e.phase === phase && e.payload['evidencePackId'] === evidence.id)
    : undefined;
  const verdict = judged ? (judged.type === 'phase.gate.passed' ? 'passed' : 'failed') : null;
  const failed = new Set((judged?.payload['failedRubrics'] as string[] | undefined) ?? []);
  const rubrics = Object.entries(rubricsOf(plan, phase)).map(([rubric, threshold]) => {
    const metric = parseRubricName(rubric)?.metric ?? rubric;
    const value = evidence?.metrics[metric];
    return {
      rubric,
      metric,
      threshold,
      actual: value === undefined ? null : value,
      pass: verdict === null ? null : !failed.has(rubric),
    };
  });
  return { phase, attempt: evidence?.attempt ?? null, verdict, rubrics };
}

/** A one-line reading of a problem event for the stream. */
export function problemSummary(e: StoredEvent): string {
  const p = e.payload;
  const error = p['error'] as { message?: unknown } | undefined;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (e.type) {
    case 'phase.stalled':
      return `stalled (${text(p['reason'])}), unsticker chose ${text(p['strategy'])}`;
    case 'task.retry':
      return `retry with ${text(p['strategy'])}: ${text(p['reason'])}`;
    case 'phase.gate.failed':
      return `gate attempt ${String(p['attempt'])} failed: ${((p['reasons'] as string[] | undefined) ?? []).join('; ')}`;
    case 'phase.tool.failed':
      return `${text(p['tool'])} failed: ${text(p['error'])}`;
    case 'phase.paused':
      return `paused (${text(p['reason'])})${p['detail'] ? `: ${text(p['detail'])}` : ''}`;
    case 'budget.exceeded':
      return `${text(p['scope'])} budget exceeded`;
    case 'task.stale_write':
      return `stale ${text(p['operation'])} from attempt ${String(p['attempt'])} rejected`;
    default:
      return text(error?.message) || text(p['reason']) || e.type;
  }
}

/**
 * Cumulative tokens and USD after each finished agent task (the usage its `phase.agent.complete`
 * event reports): [unix seconds, tokens, usd].
 */
export function burnSeries(finished: readonly StoredEvent[]): Array<[number, number, number]> {
  let tokens = 0;
  let usd = 0;
  const points: Array<[number, number, number]> = [];
  for (const e of finished) {
    const usage = e.payload['usage'] as { tokens?: number; usd?: number } | undefined;
    tokens += usage?.tokens ?? 0;
    usd += usage?.usd ?? 0;
    points.push([e.createdAt.getTime() / 1000, tokens, usd]);
  }
  // Thin a long series evenly, keeping the last point (the current total).
  if (points.length <= BURN_POINTS_MAX) return points;
  const step = points.length / BURN_POINTS_MAX;
  const thinned = Array.from({ length: BURN_POINTS_MAX - 1 }, (_, i) => points[Math.floor(i * step)]);
  return [...(thinned as Array<[number, number, number]>), points.at(-1) as [number, number, number]];
}

function qavOf(phase: string, evidence: LatestEvidence | undefined): QavCoverage {
  const s = evidence?.qavSummary ?? {};
  const n = (v: unknown) => (typeof v === 'number' ? v : null);
  const m = evidence?.metrics ?? {};
  return {
    phase,
    questions: n(s['questions']),
    accepted: n(s['accepted']),
    rejected: n(s['rejected']),
    unknown: n(s['unknown']),
    fissionCoverage: n(m['fission_coverage']),
    fusionConsensus: n(m['fusion_consensus']),
  };
}

/** The newest tool report of each phase, type and name (a retried phase measures again). */
function reportLinks(reports: readonly ToolReportRef[]): ReportLink[] {
  const latest = new Map<string, ToolReportRef>();
  for (const r of reports) latest.set(`${r.phase}/${r.type}/${r.name}`, r);
  return [...latest.values()].map((r) => ({ id: r.id, phase: r.phase, type: r.type, name: r.name }));
}

/** The overview of one run, or undefined when there is no such run. */
export async function loadRunOverview(
  db: Queryable,
  runId: string,
  now = new Date(),
): Promise<RunOverview | undefined> {
  const run = await getRun(db, runId);
  if (!run) return undefined;
  const plan = (run.plan as RunPlan | null) ?? null;
  const [phaseRows, spans, evidence, gates, problems, finished, assumptions, kmap, reports, dossier, last] =
    await Promise.all([
      getPhases(db, runId),
      listTaskSpans(db, runId),
      latestEvidencePacks(db, runId),
      readEvents(db, { runId, types: ['phase.gate.passed', 'phase.gate.failed'], limit: 10_000 }),
      readLatestEvents(db, { runId, types: PROBLEM_EVENT_TYPES, limit: PROBLEMS_SHOWN }),
      readEvents(db, { runId, types: ['phase.agent.complete'], limit: 100_000 }),
      assumptionCounts(db, runId),
      knowledgeMapCounts(db, runId),
      listToolReports(db, runId),
      hasDossier(db, runId),
      readLatestEvents(db, { runId, limit: 1 }),
    ]);
  const phases = pipelineOrder(plan, phaseRows);
  const attempts = gateAttempts(gates);
  const evidenceOf = new Map(evidence.map((e) => [e.phase, e]));
  const idea = run.idea as { title?: unknown };
  const runError = run.error?.['message'];
  return {
    run: {
      id: run.id,
      title: typeof idea.title === 'string' ? idea.title : run.id,
      status: run.status,
      createdAt: run.createdAt.toISOString(),
      startedAt: iso(run.startedAt),
      completedAt: iso(run.completedAt),
      error: typeof runError === 'string' ? runError : null,
    },
    lastSeq: last[0]?.seq ?? 0,
    phases: phases.map((p) => ({
      phase: p.phase,
      status: p.status,
      stage: p.stage,
      generation: p.generation,
      gateAttempts: p.gateAttempts,
      maxGateAttempts: plan?.phases.find((x) => x.phase === p.phase)?.maxGateAttempts ?? null,
      startedAt: iso(p.startedAt),
      completedAt: iso(p.completedAt),
      gates: attempts.get(p.phase) ?? [],
    })),
    heatmap: taskHeatmap(
      spans,
      phases.map((p) => p.phase),
      now,
    ),
    readiness: phases.map((p) => gateReadiness(plan, p.phase, evidenceOf.get(p.phase), gates)),
    spend: {
      run: { budgets: run.budgets, usage: run.usage },
      phases: phases.map((p) => ({ phase: p.phase, budgets: p.budgets, usage: p.usage })),
      burn: burnSeries(finished),
    },
    problems: problems.map((e) => ({
      seq: e.seq,
      type: e.type,
      phase: e.phase,
      taskId: e.taskId,
      at: e.createdAt.toISOString(),
      summary: problemSummary(e),
    })),
    qav: {
      phases: phases.map((p) => qavOf(p.phase, evidenceOf.get(p.phase))),
      assumptions,
      frames: kmap.frames,
      conflicts: kmap.conflicts,
    },
    reports: reportLinks(reports),
    hasDossier: dossier,
  };
}
