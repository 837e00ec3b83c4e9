import { DBOS } from '@dbos-inc/dbos-sdk';
import { sleep } from '../lib/stats.ts';
import type { JobHandler, JobPayload } from './subject.ts';

/**
 * DBOS Transact is a process-wide singleton and wants every workflow registered before `launch()`,
 * so the workflows every benchmark needs are registered here, at import.
 */

let queueHandler: JobHandler | undefined;

export function setDbosQueueHandler(handler: JobHandler | undefined): void {
  queueHandler = handler;
}

async function benchNoop(payload: JobPayload): Promise<void> {
  await queueHandler?.(payload);
}
export const dbosNoopWorkflow = DBOS.registerWorkflow(benchNoop, { name: 'benchNoop' });
export const DBOS_NOOP_NAME = 'benchNoop';

/** Step bodies executed (B3's exactly-once check: every step runs once, none is replayed or lost). */
export const dbosStepCalls = { n: 0 };

async function agentWork(workMs: number): Promise<number> {
  dbosStepCalls.n++;
  if (workMs > 0) await sleep(workMs);
  return workMs;
}

/** B3: `phases` sequential phases, each `fanOut` concurrent durable steps of `workMs` of work. */
async function benchPhases(phases: number, fanOut: number, workMs: number): Promise<number> {
  let steps = 0;
  for (let p = 0; p < phases; p++) {
    const results = await Promise.all(
      Array.from({ length: fanOut }, (_, j) =>
        DBOS.runStep(() => agentWork(workMs), { name: `p${p}.t${j}` }),
      ),
    );
    steps += results.length;
  }
  return steps;
}
export const dbosPhasesWorkflow = DBOS.registerWorkflow(benchPhases, { name: 'benchPhases' });

let launched = false;

export async function launchDbos(pgUrl: string, schema: string): Promise<void> {
  if (launched) return;
  DBOS.setConfig({
    name: 'ideamine-bench',
    systemDatabaseUrl: pgUrl,
    systemDatabaseSchemaName: schema,
    systemDatabasePoolSize: 10,
    logLevel: 'error',
  });
  await DBOS.launch();
  launched = true;
}

export async function shutdownDbos(): Promise<void> {
  if (!launched) return;
  launched = false;
  await DBOS.shutdown();
}
