import type { ArtifactView } from '../../core/agent.ts';
import { BuildPlan, CiPipeline, RepoScaffold } from '../build/schemas.ts';
import { UserStories } from '../prd/schemas.ts';
import { findAllArtifacts, findArtifact } from '../shared/artifacts.ts';
import { RefinedStories } from '../story-loop/schemas.ts';
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

/**
 * The story loop's gate metrics (stories done, acceptance criteria passed, open stories) are measured
 * by the acceptance run on the started app, never read from agent output: see
 * `src/orchestrator/measured-metrics.ts`. What agents contribute, and this guard checks, is that every
 * user story was turned into refined development work.
 */
export const storyLoopGuard = defineGuard({
  phase: 'story-loop',
  metrics: ['stories_refined_ratio'],
  measure(artifacts, findings) {
    const stories = findArtifact(artifacts, 'UserStories', UserStories)?.stories;
    const refined = new Set(
      findAllArtifacts(artifacts, 'RefinedStories', RefinedStories).flatMap((a) =>
        a.content.stories.map((s) => s.userStoryId),
      ),
    );
    if (stories === undefined) missing(findings, 'UserStories', 'nothing to refine');
    if (refined.size === 0) missing(findings, 'RefinedStories', 'no story was refined');
    const ids = stories?.map((s) => s.id) ?? [];
    for (const id of ids)
      if (!refined.has(id)) findings.push({ severity: 'warning', message: `story ${id} was never refined` });
    return { stories_refined_ratio: ratio(ids.filter((id) => refined.has(id)).length, ids.length) };
  },
});
