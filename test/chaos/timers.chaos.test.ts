import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TimerService } from '../../src/engine/timers.ts';
import { postgresReachable } from '../support/services.ts';
import { checkChaos } from './checker.ts';
import {
  between,
  type ChaosProcess,
  type ChaosSchema,
  chaosSeed,
  openChaosSchema,
  printFigures,
  rng,
  scaled,
  scheduleTimers,
  sleep,
  startTimerProcess,
} from './harness.ts';

/**
 * Durable timers under kill -9: two processes fire the timers of one schema; one of them is killed
 * every second or two (once both at once, down for two seconds) and restarted. Every timer must
 * fire exactly once (one `timer.fired` event and one handler effect, both written in the firing
 * transaction), none before its due time by the database clock, none left behind; late is allowed.
 */

const TIMERS = scaled(200, 500);
const MAX_KILLS = scaled(8, 20);
const WINDOW_MS = scaled(20_000, 40_000);
const seed = chaosSeed();

describe.runIf(postgresReachable)('chaos: kill -9 of processes firing durable timers', () => {
  let s: ChaosSchema;
  const procs: ChaosProcess[] = [];

  beforeAll(async () => {
    s = await openChaosSchema('timers');
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.destroy()));
    await s?.close();
  });

  it(`fires each of ${TIMERS} timers exactly once, none early (seed ${seed})`, async () => {
    const random = rng(seed);
    await scheduleTimers(s.db, TIMERS, 500, WINDOW_MS, random);
    const start = async () => {
      const p = await startTimerProcess(s.schema);
      procs.push(p);
      return p;
    };
    let live = [await start(), await start()];
    let kills = 0;
    let bothDownAt: number | undefined;
    const deadline = Date.now() + 90_000;
    const pending = async () =>
      (await s.db.query<{ n: number }>(`select count(*)::int as n from timers where state <> 'fired'`))[0]
        ?.n ?? 0;
    while (Date.now() < deadline && (await pending()) > 0) {
      await sleep(between(random, 800, 1_800));
      if (kills >= MAX_KILLS) continue;
      if (kills === Math.floor(MAX_KILLS / 2)) {
        bothDownAt = Date.now();
        await Promise.all(live.map((p) => p.kill9()));
        kills += 2;
        await sleep(2_000);
        live = [await start(), await start()];
        continue;
      }
      const victim = Math.floor(random() * live.length);
      await live[victim]!.kill9();
      kills++;
      live[victim] = await start();
    }
    await Promise.all(live.map((p) => p.destroy()));
    const report = await checkChaos(s.db, { timers: { kind: 'custom' } });
    printFigures('timers', {
      seed,
      timers: TIMERS,
      kills,
      bothDownForMs: bothDownAt === undefined ? 0 : 2_000,
      timersFired: report.timers.fired,
      firedMoreThanOnce: report.timers.firedMoreThanOnce,
      effectsNotOnce: report.timers.effectsNotOnce,
      early: report.timers.early,
      pendingDue: report.timers.pendingDue,
      maxLatenessMs: report.timers.maxLatenessMs,
    });
    expect(kills).toBeGreaterThanOrEqual(MAX_KILLS - 3);
    expect(report.timers.scheduled).toBe(TIMERS);
    expect(report.timers.fired).toBe(TIMERS);
    expect(report.timers.firedMoreThanOnce).toBe(0);
    expect(report.timers.effectsNotOnce).toBe(0);
    expect(report.timers.early).toBe(0);
    expect(report.timers.pendingDue).toBe(0);
  }, 150_000);
});

/**
 * Regression test for a gap this suite found (fixed in src/engine/timers.ts): `fireDue` used to
 * claim every due timer whatever its kind and mark it fired even without a handler for that kind,
 * so the orchestrator's TimerService (timebox handler only, in every driving process) consumed other
 * services' timers without their effect. A service now fires only the kinds it handles.
 */
describe.runIf(postgresReachable)('chaos: a timer service without a handler for a kind', () => {
  let s: ChaosSchema;
  beforeAll(async () => {
    s = await openChaosSchema('timerkinds');
  });
  afterAll(async () => s?.close());

  it('leaves timers of that kind for a service that handles them', async () => {
    await s.db.query(
      `insert into timers (key, kind, fire_at) values ('not-mine', 'custom', clock_timestamp() - interval '1 second')`,
    );
    const timeboxOnly = new TimerService({ db: s.db, handlers: { timebox: async () => {} } });
    const fired = await timeboxOnly.fireDue();
    const timer = await timeboxOnly.get('not-mine');
    printFigures('timer-kinds', { firedByTimeboxOnlyService: fired, state: timer?.state });
    expect(timer?.state).toBe('pending');
  });
});
