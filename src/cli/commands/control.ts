import type { Command } from 'commander';
import { loadPhaseConfigs } from '../../config/load-phase-configs.ts';
import type { CliContext } from '../context.ts';
import { printJson, printLine } from '../output.ts';
import { resolveRunIdViaOwner, signalViaOwner } from '../via-owner.ts';
import { withRuntime, withRuntimeOrOwner } from '../with-runtime.ts';
import { resolveRunId } from './run.ts';

/** Signals (persisted, honoured by whichever process drives the run) and config validation. */
export function registerControlCommands(program: Command, cli: CliContext): void {
  for (const signal of ['pause', 'cancel'] as const) {
    program
      .command(`${signal} <run>`)
      .description(
        signal === 'pause'
          ? 'pause a run at its next stage boundary (resume continues it)'
          : 'cancel a run and its queued tasks',
      )
      .action(async (run: string) => {
        const runId = await withRuntimeOrOwner(cli, {
          local: async (rt) => {
            const id = await resolveRunId(rt, run);
            await rt.orchestrator.signal(id, signal);
            return id;
          },
          owner: async (api) => {
            const id = await resolveRunIdViaOwner(api, run);
            await signalViaOwner(api, id, signal);
            return id;
          },
        });
        printLine(`${signal} requested for run ${runId}`);
      });
  }

  program
    .command('retry <run>')
    .description(
      'start the failed (or cancelled) phases of a run over, or with --phase one phase and those after it; then run `ideamine resume <run>`',
    )
    .option(
      '-p, --phase <phase>',
      'this phase and every phase downstream of it, whatever they ended as (re-checks a workspace changed by hand)',
    )
    .action(async (run: string, flags: { phase?: string }) => {
      await withRuntime(cli, async (rt) => {
        const runId = await resolveRunId(rt, run);
        const phases = await rt.orchestrator.retry(runId, flags.phase);
        printLine(`will retry ${phases.join(', ')}; continue with: ideamine resume ${runId}`);
      });
    });

  const config = program.command('config').description('phase configuration');
  config
    .command('validate')
    .description(
      'load and check the builtin phase configs plus IDEAMINE_CONFIG_DIR overrides; errors name file, field and reason',
    )
    .option('--json', 'print the resolved phases as JSON')
    .action(async (flags: { json?: boolean }) => {
      const options = cli.options();
      const set = await loadPhaseConfigs(options.configDir ? { userDir: options.configDir } : {});
      if (flags.json) return printJson({ levels: set.levels, phases: set.phases });
      printLine(`${set.phases.length} phases ok`);
      for (const level of set.levels) printLine(`  ${level.join(' ∥ ')}`);
    });
}
