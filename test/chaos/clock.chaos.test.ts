import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnqueueRequest } from '../../src/queue/task-queue.ts';
import { postgresReachable } from '../support/services.ts';
import { checkChaos, summarize } from './checker.ts';
import {
  between,
  type ChaosProcess,
  type ChaosSchema,
  chaosSeed,
  ensureAptTool,
  Fleet,
  findLibfaketime,
  openChaosSchema,
  printFigures,
  rng,
  scheduleTimers,
  sleep,
  startTimerProcess,
  unfinished,
  waitFor,
} from './harness.ts';

/**
 * Wall-clock jumps (libfaketime, live through a timestamp file) on one worker and on a process
 * firing timers: +1 h, then −3 h, then back. Leases, due times and timer firing are decided by the
 * database's clock, so the jumping processes must not lose or steal work, and no timer may fire
 * early. Monotonic time is left alone (FAKETIME_DONT_FAKE_MONOTONIC=1): Node's timers run on it,
 * as an NTP step would leave them. The tick lines of the timer process prove the jump took effect.
 */

const LEASE_MS = 2_000;
const TIMERS = 60;
const seed = chaosSeed();
const libfaketime = findLibfaketime() ?? '';
const haveFaketime =
  postgresReachable && ensureAptTool('libfaketime', () => findLibfaketime() !== undefined, 'faketime');

describe.runIf(haveFaketime)('chaos: wall-clock jumps on a worker and a timer process', () => {
  let s: ChaosSchema;
  let fleet: Fleet;
  let timers: ChaosProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ideamine-faketime-'));
  const clockFile = join(dir, 'faketime');

  beforeAll(async () => {
    s = await openChaosSchema('clock');
  });
  afterAll(async () => {
    await fleet?.shutdown();
    await timers?.destroy();
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`loses and steals nothing and fires no timer early (seed ${seed})`, async () => {
    const random = rng(seed);
    writeFileSync(clockFile, '+0\n');
    const fake = {
      LD_PRELOAD: findLibfaketime() ?? libfaketime,
      FAKETIME_TIMESTAMP_FILE: clockFile,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    };
    const requests: EnqueueRequest[] = Array.from({ length: 150 }, () => ({
      type: 'diag.effect',
      leaseMs: LEASE_MS,
      maxAttempts: 10,
      input: { ms: between(random, 500, 1_500), checkpointEveryMs: 100, idempotent: true },
    }));
    const ids = await s.queue.enqueueMany(requests);
    await scheduleTimers(s.db, TIMERS, 2_000, 14_000, random);
    fleet = new Fleet({ schema: s.schema, leaseMs: LEASE_MS, heartbeatMs: 400, concurrency: 4 });
    const jumper = await fleet.start({ env: fake });
    await Promise.all([fleet.start(), fleet.start()]);
    timers = await startTimerProcess(s.schema, fake);

    const jumps: Array<{ offset: string; atDb: Date; skewMs: number; jumperEffectsAfter: number }> = [];
    for (const offset of ['+1h', '-3h', '+0']) {
      await sleep(between(random, 1_500, 2_500));
      writeFileSync(clockFile, `${offset}\n`);
      const atDb = (await s.db.query<{ now: Date }>('select clock_timestamp() as now'))[0]!.now;
      const seenFrom = timers.lines.length;
      const tick = await waitFor(
        `a tick of the timer process after ${offset}`,
        () => timers?.lines.slice(seenFrom).find((l) => l['event'] === 'tick'),
        5_000,
        50,
      );
      jumps.push({ offset, atDb, skewMs: Number(tick['now']) - Date.now(), jumperEffectsAfter: 0 });
    }
    await waitFor('every task to finish', async () => (await unfinished(s.db)) === 0, 120_000, 250);
    await waitFor(
      'every timer to fire',
      async () =>
        (await s.db.query<{ n: number }>(`select count(*)::int as n from timers where state <> 'fired'`))[0]
          ?.n === 0,
      60_000,
      250,
    );
    for (const j of jumps) {
      const rows = await s.db.query<{ n: number }>(
        'select count(*)::int as n from diag_effects where pid = $1 and at > $2',
        [jumper.process.pid, j.atDb],
      );
      j.jumperEffectsAfter = rows[0]?.n ?? 0;
    }
    const lostLeases = await s.db.query<{ n: number }>(
      `select count(*)::int as n from tasks, jsonb_array_elements(history) h
        where h ->> 'outcome' in ('lease_expired', 'stalled')`,
    );
    const alive = jumper.process.alive && timers.alive;
    await fleet.stopGracefully();
    const report = await checkChaos(s.db, { expectedTaskIds: ids });
    printFigures('clock', {
      seed,
      jumps: jumps.map((j) => ({
        offset: j.offset,
        observedSkewS: Math.round(j.skewMs / 1000),
        jumperEffectsAfter: j.jumperEffectsAfter,
      })),
      leasesLost: lostLeases[0]?.n ?? 0,
      timersEarly: report.timers.early,
      timersMaxLatenessMs: report.timers.maxLatenessMs,
      ...summarize(report, LEASE_MS),
    });

    // The jumps really happened in the faked processes.
    expect(Math.abs((jumps[0]?.skewMs ?? 0) - 3_600_000)).toBeLessThan(10_000);
    expect(Math.abs((jumps[1]?.skewMs ?? 0) + 10_800_000)).toBeLessThan(10_000);
    expect(alive).toBe(true);
    expect(lostLeases[0]?.n).toBe(0);
    expect(jumps.slice(0, 2).every((j) => j.jumperEffectsAfter > 0)).toBe(true);
    expect(report.lost).toBe(0);
    expect(report.byState).toEqual({ succeeded: ids.length });
    expect(report.effects.duplicateKeysIdempotent).toBe(0);
    expect(report.staleWrites.accepted).toBe(0);
    expect(report.timers.fired).toBe(TIMERS);
    expect(report.timers.early).toBe(0);
    expect(report.timers.firedMoreThanOnce).toBe(0);
  }, 240_000);
});
