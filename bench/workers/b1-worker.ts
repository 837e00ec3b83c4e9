/**
 * The worker process of B1, started by bench/b1-throughput.ts, never by hand. It loads one queue
 * subject's library, attaches to the schema the parent created and filled, opens its connections,
 * and only then says `ready`: loading and connecting stay outside the clock, as in graphile-worker's
 * perfTest (which subtracts its start-up). Protocol, one line each way:
 *   parent → `go`   : start the subject's workers (the clock is running)
 *   child  → `handled`  when every job has been handled at least once
 *   parent → `stop` : stop the workers, report, exit
 *   child  → `result <json>` (exactly-once counts, worker figures, this process's CPU)
 * Settings come from BENCH_B1 (JSON) so that the parent controls subject, config and size.
 */
import { createInterface } from 'node:readline';
import { JobTracker } from '../lib/tracker.ts';
import { makeQueueSubject, type QueueSubjectName } from '../subjects/registry.ts';
import type { JobPayload, SubjectEnv } from '../subjects/subject.ts';

export interface B1WorkerSettings {
  subject: QueueSubjectName;
  env: SubjectEnv;
  config: string;
  concurrency: number;
  jobs: number;
}

export interface B1WorkerResult {
  processed: number;
  duplicates: number;
  foreign: number;
  /** CPU of this process from `go` to `stop` (ms). */
  cpuMs: number;
  workerStats: Record<string, number | null>;
  /** Time `startWorkers` took (inside the clock). */
  startMs: number;
}

const settings = JSON.parse(process.env['BENCH_B1'] ?? '{}') as B1WorkerSettings;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

const subject = await makeQueueSubject(settings.subject, settings.env);
if (!subject.attach) throw new Error(`${settings.subject} cannot run its worker in a process of its own`);
await subject.attach();
say('ready');
const tracker = new JobTracker(settings.jobs);
let cpuAtGo: NodeJS.CpuUsage | undefined;
let startMs = 0;

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line === 'go') {
    cpuAtGo = process.cpuUsage();
    void tracker.whenAll(24 * 3_600_000).then((all) => all && say('handled'));
    const t0 = performance.now();
    await subject.startWorkers((p: JobPayload) => tracker.hit(p.i), {
      concurrency: settings.concurrency,
      config: settings.config,
    });
    startMs = performance.now() - t0;
  } else if (line === 'stop') {
    await subject.stopWorkers();
    const cpu = process.cpuUsage(cpuAtGo);
    const check = tracker.result();
    const result: B1WorkerResult = {
      processed: check.processed,
      duplicates: check.duplicates,
      foreign: tracker.foreign,
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      workerStats: subject.workerStats?.() ?? {},
      startMs: Math.round(startMs * 10) / 10,
    };
    say(`result ${JSON.stringify(result)}`);
    // The parent owns the schema and drops it; peers leave timers and sockets behind.
    process.exit(0);
  }
}
