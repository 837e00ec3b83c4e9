import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { WaiverView } from '../../api/schemas.ts';
import { waiverView } from '../../api/views.ts';
import { parseDurationMs } from '../../core/duration.ts';
import { grantWaiver } from '../../orchestrator/waivers.ts';
import type { CliContext } from '../context.ts';
import { printJson, printLine } from '../output.ts';
import { resolveRunIdViaOwner } from '../via-owner.ts';
import { withRuntimeOrOwner } from '../with-runtime.ts';
import { resolveRunId } from './run.ts';

interface WaiveFlags {
  reason: string;
  expires?: string;
  owner?: string;
  control?: string;
  json?: boolean;
}

/**
 * `ideamine waive <run> <phase> <rubric> --reason <text>`: an owned, expiring exception to one rubric,
 * granted only where the phase config lists the rubric as waivable.
 */
export function registerWaiveCommand(program: Command, cli: CliContext): void {
  program
    .command('waive <run> <phase> <rubric>')
    .description(
      'accept one failing rubric of a phase for a while, when the phase config lists it in waivers_allowed; recorded in the ledger and the dossier (then retry and resume a phase that failed)',
    )
    .requiredOption('--reason <text>', 'why the failure is acceptable (recorded with the waiver)')
    .option('--expires <duration>', 'how long the waiver holds: 12h, 7d… (default 7d, at most 90d)')
    .option('--owner <name>', 'who answers for it (default: the OS user)')
    .option('--control <text>', 'the compensating control (default: the reason)')
    .option('--json', 'print the waiver as JSON')
    .action(async (run: string, phase: string, rubric: string, flags: WaiveFlags) => {
      const ttlMs = flags.expires === undefined ? undefined : parseDurationMs(flags.expires);
      const request = {
        phase,
        rubric,
        reason: flags.reason,
        owner: flags.owner ?? userInfo().username,
        ...(ttlMs === undefined ? {} : { ttlMs }),
        ...(flags.control === undefined ? {} : { control: flags.control }),
      };
      const waiver = await withRuntimeOrOwner<WaiverView>(cli, {
        local: async (rt) =>
          waiverView(await grantWaiver(rt.db, { runId: await resolveRunId(rt, run), ...request })),
        owner: async (api) => {
          const runId = await resolveRunIdViaOwner(api, run);
          return api.post<WaiverView>(`/api/runs/${runId}/waivers`, {
            phase,
            rubric,
            reason: request.reason,
            owner: request.owner,
            ...(flags.expires === undefined ? {} : { expires: flags.expires }),
            ...(flags.control === undefined ? {} : { control: flags.control }),
          });
        },
      });
      if (flags.json) return printJson(waiver);
      printLine(
        `waiver ${waiver.id}: ${waiver.phase} ${waiver.violationType} waived for run ${waiver.runId} by ${waiver.owner} until ${waiver.expiresAt}`,
      );
      printLine(
        `a phase that already failed its gate needs: ideamine retry ${waiver.runId} --phase ${waiver.phase} && ideamine resume ${waiver.runId}`,
      );
    });
}
