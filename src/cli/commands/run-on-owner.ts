import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SocketClient } from '../../api/client.ts';
import { ExitCode, invalidInput } from '../../core/errors.ts';
import type { RunOutcome } from '../../orchestrator/orchestrator.ts';
import { runDir } from '../../runtime.ts';
import type { LockOwner } from '../../storage/lock-file.ts';
import { getRun, type RunRecord } from '../../storage/run-store.ts';
import { createWorkbench } from '../../tools/workbench.ts';
import type { CliContext } from '../context.ts';
import { printJson, printLine } from '../output.ts';
import { createProgressPrinter } from '../progress.ts';
import { printRunSummary } from '../run-summary.ts';
import { describeOwner, followRunViaOwner, signalViaOwner, untilUndriven } from '../via-owner.ts';
import { withRuntimeOrOwner } from '../with-runtime.ts';

export interface RunOnOwnerOptions {
  json: boolean;
  /** `--record`/`--replay` given: they configure a model, and the owner runs its own. */
  modelFlags: boolean;
}

/**
 * `run` or `resume` while another process owns the embedded data dir: the owner plans (or resumes) the
 * run and drives it beside its own work; this process follows it over the socket like a local run —
 * the same progress lines, the same summary and exit code. Ctrl-C pauses the run on the owner; a
 * second Ctrl-C stops following at once.
 */
export async function runOnOwner(
  cli: CliContext,
  api: SocketClient,
  owner: LockOwner,
  start: (api: SocketClient) => Promise<string>,
  options: RunOnOwnerOptions,
): Promise<void> {
  if (options.modelFlags)
    throw invalidInput(
      `--record and --replay apply to the process that runs the model, and ${describeOwner(owner)} owns this data dir and would run it: wait for it to finish, or use another IDEAMINE_HOME`,
    );
  const runId = await start(api);
  if (options.json)
    printJson({ type: 'run.queued', runId, owner: { pid: owner.pid, hostname: owner.hostname } });
  else
    printLine(
      `run ${runId} is driven by ${describeOwner(owner)}, which owns this data dir; following it here`,
    );
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) {
      process.stderr.write('\nstopped following; the run goes on\n');
      process.exit(ExitCode.interrupted);
    }
    void signalViaOwner(api, runId, 'pause').catch(() => {});
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const printer = createProgressPrinter({ json: options.json, live: true });
  let end: Awaited<ReturnType<typeof followRunViaOwner>>;
  try {
    end = await followRunViaOwner(api, runId, (e) => printer.onEvent(e), { stopWhenPaused: true });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    printer.close();
  }
  const run = await finalRun(cli, api, runId);
  if (!run || run.status === 'running' || run.status === 'pending') {
    process.stderr.write(
      `${describeOwner(owner)} stopped before run ${runId} ended; see ideamine status ${runId}, continue it with: ideamine resume ${runId}\n`,
    );
    process.exitCode = ExitCode.paused;
    return;
  }
  const outcome: RunOutcome =
    run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled'
      ? run.status
      : 'paused';
  const home = cli.options().home;
  const dir = runDir({ home }, runId);
  printRunSummary(
    {
      runId,
      outcome,
      usage: run.usage,
      error: run.error,
      dir,
      hasDossier: existsSync(join(dir, 'dossier.json')),
      workspace: await createWorkbench({ runDir: (id) => runDir({ home }, id) }).info(runId),
    },
    options.json,
  );
  process.exitCode =
    outcome === 'succeeded' ? ExitCode.ok : outcome === 'paused' ? ExitCode.paused : ExitCode.runFailed;
}

/**
 * The run as it ended. The owner writes the dossier after the run's last event, so this waits for it to
 * let go of the run; an owner that exits meanwhile has let go of the data dir too, which is then read
 * here (or through whichever process owns it by now).
 */
async function finalRun(
  cli: CliContext,
  api: SocketClient,
  runId: string,
): Promise<Pick<RunRecord, 'status' | 'usage' | 'error'> | undefined> {
  const run = await untilUndriven(api, runId);
  if (run) return run;
  return withRuntimeOrOwner<Pick<RunRecord, 'status' | 'usage' | 'error'> | undefined>(cli, {
    local: (rt) => getRun(rt.db, runId),
    owner: (next) => untilUndriven(next, runId),
  });
}
