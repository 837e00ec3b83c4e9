import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import type { SocketClient } from '../../api/client.ts';
import type { Idea } from '../../core/agent.ts';
import { ErrorCode, ExitCode, IdeaMineError, invalidInput } from '../../core/errors.ts';
import { titleFromDescription } from '../../core/idea.ts';
import { subscribeEvents } from '../../engine/event-bus.ts';
import { WorkerPool } from '../../engine/worker-pool.ts';
import type { RunOutcome } from '../../orchestrator/orchestrator.ts';
import { type Runtime, runDir } from '../../runtime.ts';
import { findRunId, getDossier, getRun } from '../../storage/run-store.ts';
import type { CliContext } from '../context.ts';
import { createProgressPrinter, loadPhaseHistory } from '../progress.ts';
import { printRunSummary } from '../run-summary.ts';
import { queueRunViaOwner, resolveRunIdViaOwner } from '../via-owner.ts';
import { openOrReachOwner, openOwnerRuntime } from '../with-runtime.ts';
import { runOnOwner } from './run-on-owner.ts';

const ideaFileSchema = z.strictObject({
  title: z.string().min(1).max(200),
  description: z.string().min(1).max(20_000),
  audience: z.string().optional(),
  constraints: z.array(z.string()).optional(),
});

/** A one-line idea becomes { title, description }: the title is its first sentence, trimmed. */
export function ideaFromText(text: string): Idea {
  const description = text.trim().replace(/\s+/g, ' ');
  if (description.length < 3)
    throw invalidInput(
      'the idea is empty: describe it in a sentence, e.g. ideamine run "A shared todo app for small teams"',
    );
  if (description.length > 20_000)
    throw invalidInput(
      `the idea is ${description.length} characters; keep it under 20000 (put details in --file idea.json)`,
    );
  return { title: titleFromDescription(description), description };
}

export function ideaFromFile(path: string): Idea {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw invalidInput(`${path}: ${(error as Error).message}`);
  }
  const parsed = ideaFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw invalidInput(
      `${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data as Idea;
}

interface RunFlags {
  file?: string;
  json?: boolean;
  record?: string;
  replay?: string;
}

export function registerRunCommands(program: Command, cli: CliContext): void {
  program
    .command('run [idea]')
    .description('turn an idea into a release: runs all phases and prints the dossier path')
    .option(
      '-f, --file <idea.json>',
      'read the idea from a JSON file {title, description, audience?, constraints?}',
    )
    .option('--json', 'print JSON lines (also when stdout is not a terminal)')
    .option('--record <file>', 'record every model call to this JSON-lines file')
    .option('--replay <file>', 'answer every model call from a recording (no network)')
    .action(async (text: string | undefined, flags: RunFlags) => {
      if (!text && !flags.file)
        throw invalidInput(
          'give an idea, e.g. ideamine run "A shared todo app for small teams", or --file idea.json',
        );
      const idea = flags.file ? ideaFromFile(flags.file) : ideaFromText(text ?? '');
      await withDrivingRuntime(
        cli,
        flags,
        async (rt) => {
          const configs = await rt.loadPhaseConfigs();
          const { runId } = await rt.orchestrator.createRun(idea, configs);
          return runId;
        },
        async (api) => (await queueRunViaOwner(api, idea)).id,
      );
    });

  program
    .command('resume <run>')
    .description('continue a paused or interrupted run where it stopped')
    .option('--json', 'print JSON lines')
    .action(async (run: string, flags: RunFlags) => {
      await withDrivingRuntime(
        cli,
        flags,
        (rt) => resolveRunId(rt, run),
        async (api) => {
          const runId = await resolveRunIdViaOwner(api, run);
          await api.post(`/api/runs/${runId}/resume`);
          return runId;
        },
      );
    });
}

export async function resolveRunId(rt: Runtime, idOrPrefix: string): Promise<string> {
  const ids = await findRunId(rt.db, idOrPrefix);
  if (ids.length === 0)
    throw new IdeaMineError(ErrorCode.notFound, `no run matches "${idOrPrefix}" (see ideamine runs)`);
  if (ids.length > 1) throw invalidInput(`"${idOrPrefix}" matches several runs; give more of the id`);
  return ids[0] as string;
}

/**
 * Runs the embedded engine in this process: a worker pool for the agent tasks, the orchestrator
 * driving the run, live progress from the event log. Ctrl-C pauses cleanly (a second one stops hard).
 * While it owns the embedded data dir it serves the API socket, and drives the runs other commands
 * queue on it: it exits once those have stopped too. When another process owns the data dir,
 * `onOwner` starts the run there and this process follows it.
 */
async function withDrivingRuntime(
  cli: CliContext,
  flags: RunFlags,
  pickRun: (rt: Runtime) => Promise<string>,
  onOwner: (api: SocketClient) => Promise<string>,
): Promise<void> {
  const options = cli.options({
    ...(flags.record ? { recordFile: flags.record } : {}),
    ...(flags.replay ? { replayFile: flags.replay } : {}),
  });
  const json = flags.json === true || !process.stdout.isTTY;
  const opened = await openOrReachOwner(options, () => openOwnerRuntime(cli, options));
  if (!('local' in opened))
    return runOnOwner(cli, opened.api, opened.owner, onOwner, {
      json,
      modelFlags: Boolean(flags.record || flags.replay),
    });
  const owner = opened.local;
  const rt = owner.runtime;
  const pool = new WorkerPool({
    queue: rt.queue,
    handlers: rt.handlers,
    concurrency: options.concurrency,
    heartbeatMs: options.heartbeatMs,
    logger: rt.logger,
    pollMaxMs: 500,
    observer: rt.metrics.tasks,
  });
  let runId: string | undefined;
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1 || !runId) {
      process.stderr.write('\nstopping now\n');
      process.exit(ExitCode.interrupted);
    }
    for (const id of [runId, ...owner.driver.activeRuns])
      void rt.orchestrator.signal(id, 'pause').catch(() => {});
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let outcome: RunOutcome | undefined;
  try {
    runId = await pickRun(rt);
    const printer = createProgressPrinter({
      json,
      live: true,
      ...(json ? {} : { history: await loadPhaseHistory(rt.db, runId) }),
    });
    const subscription = await subscribeEvents(rt.db, { runId, pollMs: 500 }, (e) => printer.onEvent(e));
    await pool.start();
    rt.supervisor.start();
    try {
      outcome = await rt.orchestrator.drive(runId);
    } finally {
      await new Promise((r) => setTimeout(r, 50));
      await subscription.close();
      printer.close();
    }
    await summarize(rt, runId, outcome, json);
    const queued = owner.driver.activeRuns;
    if (queued.length > 0)
      process.stderr.write(`waiting for the runs queued on this process: ${queued.join(', ')}\n`);
    await owner.queuedRunsSettled();
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    // Queued runs still driven (after an error) are paused first: they need the pool to get there.
    await owner.driver.stop();
    await pool.stop({ graceMs: outcome === 'paused' ? 5_000 : 1_000 });
    await owner.close();
  }
  process.exitCode =
    outcome === 'succeeded' ? ExitCode.ok : outcome === 'paused' ? ExitCode.paused : ExitCode.runFailed;
}

async function summarize(rt: Runtime, runId: string, outcome: RunOutcome, json: boolean): Promise<void> {
  const run = await getRun(rt.db, runId);
  const dossier =
    outcome === 'succeeded' || outcome === 'failed' ? await getDossier(rt.db, runId) : undefined;
  printRunSummary(
    {
      runId,
      outcome,
      usage: run?.usage ?? {},
      error: run?.error ?? null,
      dir: runDir(rt.options, runId),
      hasDossier: dossier !== undefined,
      workspace: await rt.workbench.info(runId),
    },
    json,
  );
}
