import type { Command } from 'commander';
import { subscribeEvents } from '../../engine/event-bus.ts';
import { verifyLedger } from '../../observability/ledger.ts';
import { writeDossier } from '../../observability/release-dossier.ts';
import { listAssumptions, searchFrames } from '../../orchestrator/qav/knowledge-map.ts';
import { runDir } from '../../runtime.ts';
import { readEvents } from '../../storage/event-store.ts';
import { getPhases, getRun, listRuns } from '../../storage/run-store.ts';
import type { CliContext } from '../context.ts';
import { printJson, printLine, printTable } from '../output.ts';
import { createProgressPrinter } from '../progress.ts';
import { withRuntime } from '../with-runtime.ts';
import { resolveRunId } from './run.ts';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Read-only commands: runs, status, events, kmap, assumptions, ledger verify, dossier. */
export function registerInspectCommands(program: Command, cli: CliContext): void {
  program
    .command('runs')
    .description('list runs, newest first')
    .option('--json', 'print JSON lines')
    .action(async (flags: { json?: boolean }) => {
      const runs = await withRuntime(cli, (rt) => listRuns(rt.db, 50));
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
      await withRuntime(cli, async (rt) => {
        const runId = run ? await resolveRunId(rt, run) : (await listRuns(rt.db, 1))[0]?.id;
        if (!runId) return printLine('no runs yet: ideamine run "<idea>"');
        const [record, phases, workspace] = await Promise.all([
          getRun(rt.db, runId),
          getPhases(rt.db, runId),
          rt.workbench.info(runId),
        ]);
        const ws = workspace ? { path: workspace.path, commit: workspace.head } : null;
        if (flags.json) return printJson({ run: record, phases, workspace: ws });
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
      });
    });

  program
    .command('events <run>')
    .description('the events of a run, in order; --follow keeps printing until the run ends')
    .option('-f, --follow', 'keep following new events')
    .option('--json', 'print JSON lines')
    .action(async (run: string, flags: { follow?: boolean; json?: boolean }) => {
      await withRuntime(cli, async (rt) => {
        const runId = await resolveRunId(rt, run);
        const printer = createProgressPrinter({ json: flags.json === true || !process.stdout.isTTY });
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
      });
    });

  program
    .command('kmap <run>')
    .description("browse a run's knowledge map (full-text search with --search)")
    .option('-s, --search <text>', 'full-text query')
    .option('-l, --limit <n>', 'at most this many frames', '50')
    .option('--json', 'print JSON lines')
    .action(async (run: string, flags: { search?: string; limit: string; json?: boolean }) => {
      await withRuntime(cli, async (rt) => {
        const frames = await searchFrames(
          rt.db,
          await resolveRunId(rt, run),
          flags.search,
          Number(flags.limit) || 50,
        );
        if (flags.json) {
          for (const f of frames) printJson(f);
          return;
        }
        if (frames.length === 0)
          return printLine(flags.search ? `no frames match "${flags.search}"` : 'the knowledge map is empty');
        printTable(
          frames.map((f) => ({
            phase: f.phase,
            subject: f.subject,
            predicate: f.predicate,
            object: f.object,
            confidence: f.confidence,
            status: f.status,
          })),
          ['phase', 'subject', 'predicate', 'object', 'confidence', 'status'],
        );
      });
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

  const ledger = program.command('ledger').description("the run's immutable ledger");
  ledger
    .command('verify <run>')
    .description('check the hash chain of a run ledger')
    .action(async (run: string) => {
      await withRuntime(cli, async (rt) => {
        const result = await verifyLedger(rt.db, await resolveRunId(rt, run));
        if (result.ok) printLine(`ledger ok: ${result.entries} entries, chain intact`);
        else {
          printLine(`ledger BROKEN at entry ${result.brokenAt?.seq}: ${result.brokenAt?.reason}`);
          process.exitCode = 1;
        }
      });
    });

  program
    .command('dossier <run>')
    .description('write (again) the release dossier of a run: JSON and self-contained HTML')
    .action(async (run: string) => {
      await withRuntime(cli, async (rt) => {
        const runId = await resolveRunId(rt, run);
        const files = await writeDossier(rt.db, runId, runDir(rt.options, runId), {
          workspace: await rt.workbench.info(runId),
        });
        printLine(files.html);
        printLine(files.json);
      });
    });
}
