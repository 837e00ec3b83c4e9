import type { ArtifactView } from '../../core/agent.ts';
import { type ArtifactRecord, listArtifacts } from '../../storage/run-store.ts';
import { latestArtifacts, stableOrder } from '../agent-task.ts';
import { isToolReport } from '../measured-metrics.ts';
import type { PhaseStageContext } from './context.ts';

/** What the stages read: the artifacts of an attempt, as stored, and as agents and guards see them. */

/** Provenance sources of artifacts the coordinator itself writes per attempt (not agents' cached work). */
const GENERATIONAL_SOURCES = new Set(['tool', 'measure', 'orchestrator']);

export function artifactView(a: ArtifactRecord): ArtifactView {
  return { id: a.id, type: a.type, name: a.name, phase: a.phase, content: a.content };
}

/** Upstream artifacts (their phases' last attempts) plus this phase's artifacts of this attempt. */
export async function attemptArtifacts(ctx: PhaseStageContext, attempt: number): Promise<ArtifactRecord[]> {
  const all = await listArtifacts(ctx.deps.db, ctx.runId);
  const upstream = latestArtifacts(all.filter((a) => a.phase !== ctx.phase));
  return stableOrder([
    ...upstream,
    ...all.filter(
      (a) =>
        a.phase === ctx.phase &&
        Number(a.provenance['gateAttempt']) === attempt &&
        // What the orchestrator measured belongs to one retry generation: a retried phase measures
        // the workspace afresh instead of reading the reports of the run it replaces.
        (!GENERATIONAL_SOURCES.has(String(a.provenance['source'])) ||
          Number(a.provenance['generation'] ?? 0) === ctx.generation),
    ),
  ]);
}

/** This phase's artifacts of earlier attempts, newest per agent: what a later attempt builds on. */
export async function previousArtifacts(ctx: PhaseStageContext): Promise<ArtifactRecord[]> {
  return latestArtifacts(await listArtifacts(ctx.deps.db, ctx.runId, { phase: ctx.phase }));
}

/**
 * What a fixer needs on a later gate attempt: the previous attempt's tool reports (the real failing
 * tests and their messages) and the workspace's files as committed.
 */
export async function fixContext(
  ctx: PhaseStageContext,
  previous: readonly ArtifactRecord[],
): Promise<ArtifactView[]> {
  const { workbench } = ctx.deps;
  if (!workbench || ctx.plan.measure.length === 0) return [];
  // Timings and commit ids differ between two runs of the same idea: leaving them out keeps a
  // fixer's prompt a function of what failed and of the code, so a recorded run replays.
  const reports = previous.filter(isToolReport).map((a) => ({
    ...artifactView(a),
    content: withoutVolatileFields(a.content),
  }));
  const snapshot = await workbench.snapshot(ctx.runId);
  return [
    ...reports,
    {
      id: 'workspace',
      type: 'WorkspaceSnapshot',
      name: 'workspace',
      phase: ctx.phase,
      content: { commit: null, files: snapshot.files },
    },
  ];
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
