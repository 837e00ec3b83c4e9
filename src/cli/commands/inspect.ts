import { join } from 'node:path';
import type { Command } from 'commander';
import type { RunView } from '../../api/schemas.ts';
import type { WorkspaceInfo } from '../../core/workbench.ts';
import { subscribeEvents } from '../../engine/event-bus.ts';
import { writeDossier } from '../../observability/release-dossier.ts';
import { listAssumptions, searchFrames } from '../../orchestrator/qav/knowledge-map.ts';
import { runDir } from '../../runtime.ts';
import { readEvents } from '../../storage/event-store.ts';
import { getPhases, getRun, listRuns, type RunRecord } from '../../storage/run-store.ts';
import { printHtmlToPdf } from '../../tools/chromium.ts';
import { createWorkbench } from '../../tools/workbench.ts';
import type { CliContext } from '../context.ts';
import { printJson, printLine, printTable } from '../output.ts';
import { createProgressPrinter, loadPhaseHistory } from '../progress.ts';
import {
  describeOwner,
  followRunViaOwner,
  getRunViaOwner,
  lastSeqViaOwner,
  latestRunIdViaOwner,
  phasesViaOwner,
  resolveRunIdViaOwner,
  searchKmapViaOwner,
} from '../via-owner.ts';
import { withRuntime, withRuntimeOrOwner } from '../with-runtime.ts';
import { resolveRunId } from './run.ts';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Read-only commands: runs, status, events, kmap, assumptions, dossier (ledger: ledger.ts). */
export function registerInspectCommands(program: Command, cli: CliContext): void {
  program
    .command('runs')
    .description('list runs, newest first')
    .option('--json', 'print JSON lines')
    .action(async (flags: { json?: boolean }) => {
      const runs = await withRuntimeOrOwner<ReadonlyArray<RunRecord | RunView>>(cli, {
        local: (rt) => listRuns(rt.db, 50),
        owner: async (api) => (await api.get<{ runs: RunView[] }>('/api/runs?limit=50')).runs,
      });
      if (flags.json) {
        for (const r of runs) printJson(r);
        return;
      }
      if (runs.length === 0) return printLine('no runs yet: ideamine run "<idea>"');
      printTable(
        runs.map((r) => ({
          id: r.id,
          status: r.status,
          title: String((r.idea as Record<string, unknown>)['title'] ?? ''),
          created: r.createdAt,
          tokens: Math.round(r.usage['tokens'] ?? 0),
        })),
        ['id', 'status', 'title', 'created', 'tokens'],
      );
    });

  program
    .command('status [run]')
    .description('phases of a run (default: the latest) with stage, gate attempts and usage')
    .option('--json', 'print JSON')
    .action(async (run: string | undefined, flags: { json?: boolean }) => {
      await withRuntimeOrOwner(cli, {
        local: async (rt) => {
          const runId = run ? await resolveRunId(rt, run) : (await listRuns(rt.db, 1))[0]?.id;
          if (!runId) return printLine('no runs yet: ideamine run "<idea>"');
          const [record, phases, workspace] = await Promise.all([
            getRun(rt.db, runId),
            getPhases(rt.db, runId),
            rt.workbench.info(runId),
          ]);
          printStatus(runId, record, phases, workspace, flags.json === true);
        },
        // The owner answers for the database; the workspace is a git repository on this disk.
        owner: async (api) => {
          const runId = run ? await resolveRunIdViaOwner(api, run) : await latestRunIdViaOwner(api);
          if (!runId) return printLine('no runs yet: ideamine run "<idea>"');
          const options = cli.options();
          const [record, phases, workspace] = await Promise.all([
            getRunViaOwner(api, runId),
            phasesViaOwner(api, runId),
            createWorkbench({ runDir: (id) => runDir(options, id) }).info(runId),
          ]);
          printStatus(runId, record, phases, workspace, flags.json === true);
        },
      });
    });

  program
    .command('events <run>')
    .description('the events of a run, in order; --follow keeps printing until the run ends')
    .option('-f, --follow', 'keep following new events')
    .option('--json', 'print JSON lines')
    .action(async (run: string, flags: { follow?: boolean; json?: boolean }) => {
      const json = flags.json === true || !process.stdout.isTTY;
      // --follow on a terminal: the live view, its ETA from this database's earlier runs when local.
      const follow = flags.follow === true;
      let printer = createProgressPrinter({ json, live: follow });
      await withRuntimeOrOwner(cli, {
        local: async (rt) => {
          const runId = await resolveRunId(rt, run);
          if (follow && !json)
            printer = createProgressPrinter({
              json,
              live: true,
              history: await loadPhaseHistory(rt.db, runId),
            });
          if (!flags.follow) {
            for (const e of await readEvents(rt.db, { runId, limit: 100_000 })) printer.onEvent(e);
            return;
          }
          await new Promise<void>((resolve) => {
            let sub: Awaited<ReturnType<typeof subscribeEvents>> | undefined;
            const check = setInterval(async () => {
              const r = await getRun(rt.db, runId);
              if (r && TERMINAL.has(r.status)) done();
            }, 500);
            const done = () => {
              clearInterval(check);
              setTimeout(() => void sub?.close().then(() => resolve()), 300);
            };
            void subscribeEvents(rt.db, { runId, pollMs: 250 }, (e) => printer.onEvent(e)).then((s) => {
              sub = s;
            });
            process.once('SIGINT', done);
          });
          printer.close();
        },
        owner: async (api, owner) => {
          const runId = await resolveRunIdViaOwner(api, run);
          // Without --follow: the events stored so far, i.e. up to the run's latest sequence number now.
          const untilSeq = flags.follow ? undefined : await lastSeqViaOwner(api, runId);
          const end = await followRunViaOwner(api, runId, (e) => printer.onEvent(e), {
            ...(untilSeq === undefined ? {} : { untilSeq }),
            stopOnSigint: true,
          });
          printer.close();
          if (end === 'owner-gone')
            process.stderr.write(
              `${describeOwner(owner)} stopped serving before run ${runId} ended; see ideamine status ${runId}\n`,
            );
        },
      });
    });

  program
    .command('kmap <run>')
    .description("browse a run's knowledge map (full-text search with --search)")
    .option('-s, --search <text>', 'full-text query')
    .option('-l, --limit <n>', 'at most this many frames', '50')
    .option('--json', 'print JSON lines')
    .action(async (run: string, flags: { search?: string; limit: string; json?: boolean }) => {
      const limit = Number(flags.limit) || 50;
      const frames: ReadonlyArray<Record<string, unknown>> = await withRuntimeOrOwner(cli, {
        local: async (rt) =>
          (await searchFrames(rt.db, await resolveRunId(rt, run), flags.search, limit)).map((f) => ({
            ...f,
          })),
        owner: async (api) =>
          searchKmapViaOwner(api, await resolveRunIdViaOwner(api, run), flags.search, limit),
      });
      if (flags.json) {
        for (const f of frames) printJson(f);
        return;
      }
      if (frames.length === 0)
        return printLine(flags.search ? `no frames match "${flags.search}"` : 'the knowledge map is empty');
      printTable(
        frames.map((f) => ({
          phase: f['phase'],
          subject: f['subject'],
          predicate: f['predicate'],
          object: f['object'],
          confidence: f['confidence'],
          status: f['status'],
        })),
        ['phase', 'subject', 'predicate', 'object', 'confidence', 'status'],
      );
    });

  program
    .command('assumptions <run>')
    .description('the assumptions a run made where it could not ground an answer, with their mitigations')
    .option('--json', 'print JSON lines')
    .action(async (run: string, flags: { json?: boolean }) => {
      await withRuntime(cli, async (rt) => {
        const list = await listAssumptions(rt.db, await resolveRunId(rt, run));
        if (flags.json) {
          for (const a of list) printJson(a);
          return;
        }
        if (list.length === 0) return printLine('no assumptions');
        printTable(
          list.map((a) => ({
            phase: a.phase,
            status: a.status,
            statement: a.statement,
            mitigation: a.mitigation,
          })),
          ['phase', 'status', 'statement', 'mitigation'],
        );
      });
    });

  program
    .command('dossier <run>')
    .description('write (again) the release dossier of a run: JSON, self-contained HTML and its PDF')
    .action(async (run: string) => {
      await withRuntime(cli, async (rt) => {
        const runId = await resolveRunId(rt, run);
        const files = await writeDossier(rt.db, runId, runDir(rt.options, runId), {
          workspace: await rt.workbench.info(runId),
          printPdf: printHtmlToPdf,
        });
        printLine(files.html);
        printLine(files.json);
        printLine(
          files.pdf.written ? join(runDir(rt.options, runId), files.pdf.file) : `no PDF: ${files.pdf.reason}`,
        );
      });
    });
}

interface StatusRun {
  status: string;
  idea: Record<string, unknown>;
}

interface StatusPhase {
  phase: string;
  status: string;
  stage: string | null;
  gateAttempts: number;
  usage: Record<string, number>;
  error: Record<string, unknown> | null;
}

function printStatus(
  runId: string,
  record: StatusRun | undefined,
  phases: readonly StatusPhase[],
  workspace: WorkspaceInfo | null,
  json: boolean,
): void {
  const ws = workspace ? { path: workspace.path, commit: workspace.head } : null;
  if (json) {
    printJson({ run: record, phases, workspace: ws });
    return;
  }
  printLine(`run ${runId}  ${record?.status}  "${String(record?.idea['title'] ?? '')}"`);
  if (ws) printLine(`workspace ${ws.path}  (commit ${ws.commit?.slice(0, 12) ?? 'none yet'})`);
  printTable(
    phases.map((p) => ({
      phase: p.phase,
      status: p.status,
      stage: p.stage,
      attempts: p.gateAttempts,
      tokens: Math.round(p.usage['tokens'] ?? 0),
      usd: Number(p.usage['usd'] ?? 0).toFixed(4),
      error: p.error?.['message'] ?? null,
    })),
    ['phase', 'status', 'stage', 'attempts', 'tokens', 'usd', 'error'],
  );
}
