import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, postgresReachable } from '../../support/services.ts';
import { checkChaos, type FaultRecord, summarize } from '../checker.ts';
import {
  type ChaosProcess,
  type ChaosSchema,
  chaosSeed,
  openChaosSchema,
  printFigures,
  rng,
  scheduleTimers,
  sleep,
  spawnIdeamine,
  startTimerProcess,
  waitFor,
} from '../harness.ts';

/**
 * kill -9 of the orchestrator (`ideamine run` on Postgres) while a task of a phase is in flight,
 * together with a process firing durable timers (100 pending), then `ideamine resume`, both killed
 * again right as a later phase starts, then resumed to the end. (The driving process fires only its
 * own timebox timers; `custom` timers belong to the timer process, test/chaos/fixtures.)
 *
 * Agent tasks orphaned by the first kill are re-claimed only when their lease lapses
 * (max(30 s, heartbeat_seconds × stall_threshold_heartbeats) = 180 s with the builtin phases), which
 * is what makes this test take minutes; the figure is reported.
 *
 * What must hold: the run succeeds; phases that had passed before a kill are not run again (one
 * phase.started each, same tasks); every task of the run ends; orphaned tasks are recovered; no
 * stale write is accepted; the ledger verifies; the dossier is written; every timer fires exactly
 * once (one event, one handler effect) and none early.
 */

const PHASES = [
  'intake',
  'ideation',
  'critique',
  'prd',
  'bizdev',
  'architecture',
  'build',
  'qa',
  'aesthetic',
  'release',
];
const TIMERS = 100;
const seed = chaosSeed();

describe.runIf(postgresReachable)(
  'chaos (full): kill -9 of the orchestrator mid-phase, with timers pending',
  () => {
    let s: ChaosSchema;
    const home = mkdtempSync(join(tmpdir(), 'ideamine-chaos-orch-'));
    const procs: ChaosProcess[] = [];

    beforeAll(async () => {
      s = await openChaosSchema('orch');
    });
    afterAll(async () => {
      await Promise.all(procs.map((p) => p.destroy()));
      await s?.close();
      rmSync(home, { recursive: true, force: true });
    });

    it(`resumes twice, never re-runs a passed phase, fires every timer once (seed ${seed})`, async () => {
      const random = rng(seed);
      const env = {
        DATABASE_URL: POSTGRES_URL,
        IDEAMINE_PG_SCHEMA: s.schema,
        IDEAMINE_HOME: home,
        IDEAMINE_LEASE: '3000',
        IDEAMINE_HEARTBEAT: '500',
      };
      await scheduleTimers(s.db, TIMERS, 1_000, 25_000, random);
      let timers = await startTimerProcess(s.schema);
      procs.push(timers);
      const firstKill = PHASES[1 + Math.floor(random() * 3)]!; // ideation … prd
      const secondKill = PHASES[5 + Math.floor(random() * 4)]!; // architecture … aesthetic
      const faults: FaultRecord[] = [];
      const snapshots: Snapshot[] = [];

      let run = spawnIdeamine('run', ['run', 'A shared todo app for small teams', '--json'], env);
      procs.push(run);
      let runId = '';
      for (const [i, phase] of [firstKill, secondKill].entries()) {
        const started = await run.waitForLine(
          (l) => l['type'] === 'phase.started' && l['phase'] === phase,
          240_000,
        );
        runId = String(started['runId']);
        // The first kill lands while one of its tasks is in flight (or after 5 s if none shows up);
        // the second right at the start of a phase, before it dispatched anything.
        const owner = `%:${run.pid}:%`;
        const orphans =
          i === 1
            ? []
            : await waitFor(
                'a task in flight in the driving process',
                async () => {
                  const rows = await s.db.query<{ id: string; attempt: number }>(
                    `select id, attempt from tasks where state = 'running' and lease_owner like $1`,
                    [owner],
                  );
                  return rows.length > 0 ? rows : undefined;
                },
                5_000,
                20,
              ).catch(() => []);
        faults.push({
          kind: 'kill',
          at: Date.now(),
          orphans: orphans.map((o) => ({ taskId: o.id, attempt: o.attempt })),
        });
        await Promise.all([run.kill9(), timers.kill9()]);
        timers = await startTimerProcess(s.schema);
        procs.push(timers);
        snapshots.push(await snapshot(s, runId));
        run = spawnIdeamine(`resume-${i + 1}`, ['resume', runId, '--json'], env);
        procs.push(run);
      }
      const exit = await run.exited;
      const summary = run.lines.findLast((l) => l['type'] === 'run.summary');
      const final = await snapshot(s, runId);
      // The timer process lives on after the run: let every timer fire, then stop it.
      const timersDeadline = Date.now() + 60_000;
      while (Date.now() < timersDeadline) {
        const left = await s.db.query<{ n: number }>(
          `select count(*)::int as n from timers where kind = 'custom' and state <> 'fired'`,
        );
        if (left[0]?.n === 0) break;
        await sleep(250);
      }
      await timers.destroy();
      const report = await checkChaos(s.db, { faults, timers: { kind: 'custom' } });
      const dossier = summary?.['dossier'] as { json?: string } | undefined;
      printFigures('orchestrator-kill', {
        seed,
        killedIn: [firstKill, secondKill],
        passedAtKills: snapshots.map((sn) => sn.passed.length),
        orphanedTasks: faults.map((f) => f.orphans.length),
        exit: exit.code,
        outcome: summary?.['outcome'],
        takeovers: final.takeovers,
        ...summarize(report),
        timersScheduled: report.timers.scheduled,
        timersEarly: report.timers.early,
        timersPendingDue: report.timers.pendingDue,
        timersMaxLatenessMs: report.timers.maxLatenessMs,
      });

      expect(exit.code, run.stderrTail).toBe(0);
      expect(summary?.['outcome']).toBe('succeeded');
      expect(final.runStatus).toBe('succeeded');
      expect(final.takeovers).toBe(2);
      for (const sn of snapshots)
        for (const phase of sn.passed) {
          expect(final.startedEvents[phase], `phase.started of ${phase}`).toBe(1);
          expect(final.tasksByPhase[phase], `tasks of ${phase}`).toBe(sn.tasksByPhase[phase]);
        }
      expect(report.lost).toBe(0);
      expect(report.staleWrites.accepted).toBe(0);
      expect(report.ledger.runs).toBe(1);
      expect(report.ledger.ok).toBe(1);
      expect(dossier?.json && existsSync(dossier.json)).toBe(true);
      expect(report.recovery.unrecovered).toBe(0);
      expect(report.timers.scheduled).toBe(TIMERS);
      expect(report.timers.fired).toBe(TIMERS);
      expect(report.timers.effectsNotOnce).toBe(0);
      expect(report.timers.firedMoreThanOnce).toBe(0);
      expect(report.timers.early).toBe(0);
    }, 600_000);
  },
);

interface Snapshot {
  runStatus: string | undefined;
  passed: string[];
  tasksByPhase: Record<string, number>;
  startedEvents: Record<string, number>;
  takeovers: number;
}

async function snapshot(s: ChaosSchema, runId: string): Promise<Snapshot> {
  const phases = await s.db.query<{ phase_id: string; status: string }>(
    'select phase_id, status from phases where run_id = $1',
    [runId],
  );
  const tasks = await s.db.query<{ phase_id: string; n: number }>(
    'select p.phase_id, count(t.id)::int as n from phases p left join tasks t on t.phase_id = p.id where p.run_id = $1 group by p.phase_id',
    [runId],
  );
  const started = await s.db.query<{ phase_id: string; n: number }>(
    `select phase_id, count(*)::int as n from events where run_id = $1 and event_type = 'phase.started' group by phase_id`,
    [runId],
  );
  const takeovers = await s.db.query<{ n: number }>(
    `select count(*)::int as n from events where run_id = $1 and event_type = 'run.started' and (payload ->> 'takeover')::boolean`,
    [runId],
  );
  const run = await s.db.query<{ status: string }>('select status from runs where id = $1', [runId]);
  return {
    runStatus: run[0]?.status,
    passed: phases.filter((p) => p.status === 'passed').map((p) => p.phase_id),
    tasksByPhase: Object.fromEntries(tasks.map((t) => [t.phase_id, t.n])),
    startedEvents: Object.fromEntries(started.map((e) => [e.phase_id, e.n])),
    takeovers: takeovers[0]?.n ?? 0,
  };
}
