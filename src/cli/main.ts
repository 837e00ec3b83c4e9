import { Command, CommanderError } from 'commander';
import type { OptionFlags } from '../config/options.ts';
import { coerceError, ExitCode, exitCodeFor, isIdeaMineError } from '../core/errors.ts';
import { registerControlCommands } from './commands/control.ts';
import { registerDoctorCommand } from './commands/doctor.ts';
import { registerInspectCommands } from './commands/inspect.ts';
import { registerLedgerCommands } from './commands/ledger.ts';
import { registerLineageCommand } from './commands/lineage.ts';
import { registerRunCommands } from './commands/run.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerTasksCommand } from './commands/tasks.ts';
import { registerTokenCommands } from './commands/token.ts';
import { registerWaiveCommand } from './commands/waive.ts';
import { registerWorkerCommand } from './commands/worker.ts';
import { type CliHooks, createCliContext } from './context.ts';

/** `ideamine`: argv → options → library calls. Errors become one line on stderr and a documented exit code. */
export function buildProgram(hooks: CliHooks = {}): Command {
  const program = new Command('ideamine')
    .description(
      'Turns an idea into a release: 13 gated phases of agents, run durably, every decision recorded.',
    )
    .version('0.1.0')
    .option('--home <dir>', 'data directory (default ./.ideamine, or IDEAMINE_HOME)')
    .option('--database-url <url>', 'use this Postgres instead of the embedded database (or DATABASE_URL)')
    .option(
      '--model <spec>',
      'offline | openai:<model> | anthropic:<model> | openai-compatible:<model> (or IDEAMINE_MODEL)',
    )
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent')
    .showHelpAfterError()
    .exitOverride();
  const globalFlags = (): OptionFlags => {
    const o = program.opts<{ home?: string; databaseUrl?: string; model?: string; logLevel?: string }>();
    return {
      ...(o.home ? { home: o.home } : {}),
      ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}),
      ...(o.model ? { model: o.model } : {}),
      ...(o.logLevel ? { logLevel: o.logLevel } : {}),
    };
  };
  const cli = createCliContext(globalFlags, hooks);
  registerRunCommands(program, cli);
  registerInspectCommands(program, cli);
  registerLedgerCommands(program, cli);
  registerLineageCommand(program, cli);
  registerControlCommands(program, cli);
  registerDoctorCommand(program, cli);
  registerWorkerCommand(program, cli);
  registerTasksCommand(program, cli);
  registerServeCommand(program, cli);
  registerTokenCommands(program, cli);
  registerWaiveCommand(program, cli);
  return program;
}

/** Runs one command line. `hooks` are for embedding (tests inject a model decorator); the binary passes none. */
export async function main(argv: string[], hooks: CliHooks = {}): Promise<number> {
  const program = buildProgram(hooks);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const e = coerceError(error);
    process.stderr.write(`error: ${e.message}\n`);
    if (!isIdeaMineError(error) && process.env['IDEAMINE_DEBUG'])
      process.stderr.write(`${(error as Error).stack}\n`);
    return exitCodeFor(e.code);
  }
}
