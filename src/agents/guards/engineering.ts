import type { ArtifactView } from '../../core/agent.ts';
import { BuildPlan, CiPipeline, RepoScaffold } from '../build/schemas.ts';
import { UserStories } from '../prd/schemas.ts';
import { findAllArtifacts, findArtifact } from '../shared/artifacts.ts';
import { AcceptanceReport, RefinedStories } from '../story-loop/schemas.ts';
import { defineGuard, type GuardFinding, idOf, missing, ratio } from './guard.ts';

/** Guards of the engineering phases: build and story-loop (security has its own file). */

export const buildGuard = defineGuard({
  phase: 'build',
  metrics: ['build_plan_coverage', 'ci_stages', 'scaffold_valid'],
  measure(artifacts, findings) {
    const stories = findArtifact(artifacts, 'UserStories', UserStories)?.stories;
    const plan = findArtifact(artifacts, 'BuildPlan', BuildPlan);
    const ci = findArtifact(artifacts, 'CiPipeline', CiPipeline);
    if (stories === undefined)
      missing(findings, 'UserStories', 'build-plan coverage is measured against the stories');
    if (plan === undefined) missing(findings, 'BuildPlan', 'no modules to measure');
    if (ci === undefined) missing(findings, 'CiPipeline', 'CI stages cannot be counted');
    const planned = new Set(plan?.modules.flatMap((m) => m.storyIds) ?? []);
    const covered = (stories ?? []).filter((s) => planned.has(s.id));
    for (const s of stories ?? [])
      if (!planned.has(s.id))
        findings.push({ severity: 'warning', message: `story ${s.id} is in no build module` });
    return {
      build_plan_coverage: ratio(covered.length, stories?.length ?? 0),
      ci_stages: ci?.stages.length ?? 0,
      scaffold_valid: scaffoldValid(artifacts, findings),
    };
  },
});

/** Scripts CI needs from every scaffold, whatever the language. */
const REQUIRED_SCRIPTS = ['build', 'test'] as const;

/**
 * Structural validity of the RepoScaffold: every file path is relative, stays inside the repository and
 * appears once, and the scripts CI runs (`build`, `test`) are defined. Whether the code compiles is for
 * CI to show, not for this guard.
 */
function scaffoldValid(artifacts: readonly ArtifactView[], findings: GuardFinding[]): boolean {
  const scaffold = findArtifact(artifacts, 'RepoScaffold', RepoScaffold);
  if (scaffold === undefined) {
    missing(findings, 'RepoScaffold', 'there is no scaffold to validate');
    return false;
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { path } of scaffold.files) {
    const clean = path.replace(/\\/g, '/').replace(/^\.\//, '');
    if (clean.startsWith('/') || /^[A-Za-z]:/.test(clean) || clean.split('/').includes('..'))
      problems.push(`path ${path} leaves the repository`);
    if (seen.has(clean)) problems.push(`path ${path} appears twice`);
    seen.add(clean);
  }
  for (const name of REQUIRED_SCRIPTS) {
    if ((scaffold.scripts[name]?.trim() ?? '') === '') problems.push(`no "${name}" script`);
  }
  const artifactId = idOf(artifacts, 'RepoScaffold');
  for (const p of problems)
    findings.push({ severity: 'error', message: `invalid scaffold: ${p}`, artifactId });
  return problems.length === 0;
}

export const storyLoopGuard = defineGuard({
  phase: 'story-loop',
  metrics: ['stories_done_ratio', 'acceptance_pass_ratio', 'open_stories'],
  measure(artifacts, findings) {
    const stories = findArtifact(artifacts, 'UserStories', UserStories)?.stories;
    const refined = new Map(
      findAllArtifacts(artifacts, 'RefinedStories', RefinedStories).flatMap((a) =>
        a.content.stories.map((s) => [s.userStoryId, s] as const),
      ),
    );
    const results = acceptanceResults(artifacts);
    if (refined.size === 0) missing(findings, 'RefinedStories', 'no story status to measure');
    if (results.size === 0) missing(findings, 'AcceptanceReport', 'no acceptance results to measure');
    const storyIds = stories?.map((s) => s.id) ?? [...refined.keys()];
    const done = storyIds.filter((id) => refined.get(id)?.status === 'done');
    for (const id of storyIds)
      if (!done.includes(id))
        findings.push({
          severity: 'warning',
          message: `story ${id} is not done (${refined.get(id)?.status ?? 'never refined'})`,
        });
    const criteria =
      stories === undefined
        ? [...results.keys()]
        : stories.flatMap((s) => s.acceptanceCriteria.map((c) => c.id));
    const passed = criteria.filter((id) => results.get(id)?.passed === true);
    for (const id of criteria)
      if (!passed.includes(id))
        findings.push({
          severity: 'warning',
          message: `acceptance criterion ${id} ${results.has(id) ? 'failed' : 'was not run'}`,
        });
    // Open: still to do or in progress, or never refined. A blocked story is closed for this loop: it
    // counts against stories_done_ratio, and its reason is on record for the next release.
    const open = storyIds.filter((id) => {
      const status = refined.get(id)?.status;
      return status === undefined || status === 'todo' || status === 'in-progress';
    });
    return {
      stories_done_ratio: ratio(done.length, storyIds.length),
      acceptance_pass_ratio: ratio(passed.length, criteria.length),
      open_stories: Math.max(open.length, refined.size === 0 ? 1 : 0),
    };
  },
});

export type AcceptanceResult = AcceptanceReport['results'][number];

/** Acceptance results of every shard by criterion id, a later result for a criterion winning. */
export function acceptanceResults(artifacts: readonly ArtifactView[]): Map<string, AcceptanceResult> {
  return new Map(
    findAllArtifacts(artifacts, 'AcceptanceReport', AcceptanceReport).flatMap((a) =>
      a.content.results.map((r) => [r.criterionId, r] as const),
    ),
  );
}
