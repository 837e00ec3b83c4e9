import type { z } from 'zod';
import type { Database } from '../storage/database.ts';
import {
  createDiagEffect,
  createEnvEffectSink,
  createSqlEffectSink,
  DIAG_EFFECT,
  diagEffectInput,
} from './diag-effect.ts';
import { createDiagPoison, DIAG_POISON, diagPoisonInput } from './diag-poison.ts';
import { DIAG_SLEEP, diagSleep, diagSleepInput } from './diag-sleep.ts';
import type { TaskHandler } from './worker-pool.ts';

export interface BuiltinHandlerOptions {
  /** Where `diag.effect` writes its effects; without it, the Postgres of DATABASE_URL. */
  effectsDb?: Database;
  /**
   * Whether the fault-injecting diagnostics (crash after effect, `diag.poison`) may run here.
   * Default: IDEAMINE_DIAG_FAULTS=1. Off, such tasks fail at once with a clear error.
   */
  faultsEnabled?: boolean;
}

/** Task handlers every worker has, whatever else is registered (diagnostics for operators and tests). */
export function builtinHandlers(options: BuiltinHandlerOptions = {}): Map<string, TaskHandler> {
  const faultsEnabled = options.faultsEnabled ?? process.env['IDEAMINE_DIAG_FAULTS'] === '1';
  const sink = options.effectsDb ? createSqlEffectSink(options.effectsDb) : createEnvEffectSink();
  return new Map<string, TaskHandler>([
    [DIAG_SLEEP, diagSleep],
    [DIAG_EFFECT, createDiagEffect({ sink, faultsEnabled })],
    [DIAG_POISON, createDiagPoison({ faultsEnabled })],
  ]);
}

/** Input schemas of the built-in task types, checked when a task is submitted (see task-submission.ts). */
export function builtinTaskInputs(): Map<string, z.ZodType> {
  return new Map<string, z.ZodType>([
    [DIAG_SLEEP, diagSleepInput],
    [DIAG_EFFECT, diagEffectInput],
    [DIAG_POISON, diagPoisonInput],
  ]);
}
