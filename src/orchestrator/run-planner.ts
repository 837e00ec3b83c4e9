import type { PhaseConfigSet } from '../config/load-phase-configs.ts';
import type { PhaseConfig } from '../config/phase-config.ts';
import { ErrorCode, IdeaMineError } from '../core/errors.ts';
import { hashOf } from '../core/ids.ts';
import type { Budgets } from '../core/schemas/budgets.ts';
import type { PhasePlan } from '../core/schemas/phase-plan.ts';
import type { RunPlan } from '../core/schemas/run-plan.ts';
import type { AgentCatalog } from './catalog.ts';

export const PLANNER_VERSION = '1';

/**
 * Freezes the loaded phase configs into a RunPlan: DAG levels, per-phase plans with their own hash,
 * run budgets (the sum of the phases), timeboxes and required evidence (the artifact types the
 * phase's agents produce, unless the config names them). The same configs always give the same
 * `planHash`, so a resume can tell whether the plan it is continuing is the one it started.
 */
export function planRun(
  runId: string,
  configs: PhaseConfigSet,
  catalog: Pick<AgentCatalog, 'getAgent'>,
): RunPlan {
  const phases = configs.phases.map((c) => phasePlan(c, (id) => catalog.getAgent(id)));
  const budgets = phases.reduce<Budgets>(
    (sum, p) => ({
      tokens: sum.tokens + p.budgets.tokens,
      toolsMinutes: sum.toolsMinutes + p.budgets.toolsMinutes,
      gpuHours: sum.gpuHours + p.budgets.gpuHours,
      usd: Math.round((sum.usd + p.budgets.usd) * 100) / 100,
    }),
    { tokens: 0, toolsMinutes: 0, gpuHours: 0, usd: 0 },
  );
  const body = {
    version: PLANNER_VERSION,
    levels: configs.levels.map((l) => [...l]),
    phases,
    budgets,
    timeboxes: Object.fromEntries(phases.map((p) => [p.phase, p.timebox])),
    requiredEvidence: Object.fromEntries(phases.map((p) => [p.phase, p.requiredEvidence])),
  };
  return { runId, ...body, planHash: hashOf(body) };
}

function phasePlan(config: PhaseConfig, agentOf: (id: string) => { produces: string }): PhasePlan {
  const { sources: _sources, description: _description, ...settings } = config;
  let produced: string[];
  try {
    produced = [...new Set(settings.agents.map((a) => agentOf(a.id).produces))].sort();
  } catch (error) {
    throw new IdeaMineError(
      ErrorCode.invalidConfig,
      `${config.sources.at(-1) ?? config.phase}: agents: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const requiredEvidence = settings.requiredEvidence.length > 0 ? settings.requiredEvidence : produced;
  const body = { ...settings, requiredEvidence };
  return { ...body, planHash: hashOf(body) };
}
