import type { RunOutcome } from '../orchestrator/orchestrator.ts';
import { printJson, printLine } from './output.ts';

/** What `run` and `resume` print when their run stops, wherever it was driven. */
export interface RunSummary {
  runId: string;
  outcome: RunOutcome;
  usage: Record<string, number>;
  error: Record<string, unknown> | null;
  /** `<home>/runs/<run id>`, where the dossier is written. */
  dir: string;
  hasDossier: boolean;
  workspace: { path: string; head: string | null } | null;
}

export function printRunSummary(s: RunSummary, json: boolean): void {
  const { runId, outcome, usage, error, dir, workspace } = s;
  const summary = {
    runId,
    outcome,
    usage,
    ...(workspace ? { workspace: workspace.path, commit: workspace.head } : {}),
    ...(s.hasDossier ? { dossier: { json: `${dir}/dossier.json`, html: `${dir}/dossier.html` } } : {}),
    ...(outcome === 'paused' ? { resume: `ideamine resume ${runId}` } : {}),
    ...(error ? { error } : {}),
  };
  if (json) {
    printJson({ type: 'run.summary', ...summary });
    return;
  }
  printLine();
  printLine(`run ${runId}: ${outcome}`);
  printLine(
    `tokens ${Math.round(Number(usage['tokens'] ?? 0))} · cost $${Number(usage['usd'] ?? 0).toFixed(4)}`,
  );
  if (workspace) {
    printLine(`workspace:       ${workspace.path}  (commit ${workspace.head?.slice(0, 12) ?? 'none'})`);
    printLine(`                 cd there: npm test · PORT=3000 npm start`);
  }
  if (s.hasDossier) {
    printLine(`release dossier: ${dir}/dossier.html`);
    printLine(`                 ${dir}/dossier.json`);
  }
  if (outcome === 'paused') printLine(`paused; continue with: ideamine resume ${runId}`);
  if (error) printLine(`reason: ${String(error['message'] ?? '')}`);
}
