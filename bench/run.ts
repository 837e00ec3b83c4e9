/**
 * The benchmark runner: `npm run bench [-- --smoke | --full] [--only b1,b2] [--runs N] [--systems …]`.
 *
 * Creates one database for the session, runs each selected benchmark in its own Node process (so
 * memory, CPU and DBOS's process-wide singleton never leak between benchmarks, and a hung
 * benchmark is killed at its time limit), collects their JSON lines into
 * bench/results/<timestamp>.jsonl with the machine fingerprint, drops the database and the Redis
 * keys, and prints the tables.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTEXT_ENV, type SessionContext, sessionDefaults } from './lib/context.ts';
import { describeMachine, type Fingerprint, fingerprint } from './lib/fingerprint.ts';
import { BENCH_TIMEOUT_MS, type BenchId, parseRunnerArgs, type RunnerArgs } from './lib/options.ts';
import { createDatabase, dropDatabase } from './lib/pg-admin.ts';
import { type BenchRecord, RECORD_PREFIX } from './lib/record.ts';
import { renderTables } from './lib/table.ts';
import { deleteRedisPrefix } from './subjects/bullmq.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

const SCRIPTS: Record<BenchId, string> = {
  b1: 'b1-throughput.ts',
  b2: 'b2-latency.ts',
  b3: 'b3-orchestration.ts',
  b4: 'b4-checkpoint.ts',
  b5: 'b5-heartbeat.ts',
  b6: 'b6-recovery.ts',
  b7: 'b7-ledger.ts',
  b8: 'b8-memory.ts',
  b9: 'b9-main-job.ts',
};

/**
 * Smoke mode keeps CI fast: IdeaMine on Postgres and the floors only, unless --systems says
 * otherwise (PGlite's initdb alone costs ~2.5 s per benchmark; peers are exercised by quick mode).
 */
const SMOKE_SYSTEMS = ['ideamine-pg', 'ideamine-steps'];
/**
 * Full mode (issue 13's goals) compares IdeaMine with graphile-worker and pg-boss, the peers the goals
 * name; `--systems` adds others (BullMQ, DBOS, PGlite) at the cost of time.
 */
const FULL_SYSTEMS = ['ideamine-pg', 'graphile-worker', 'pg-boss'];

interface ChildOutcome {
  bench: BenchId;
  code: number | null;
  timedOut: boolean;
  records: BenchRecord[];
}

function runChild(bench: BenchId, session: SessionContext, timeoutMs: number): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', join(HERE, SCRIPTS[bench])], {
      env: { ...process.env, [CONTEXT_ENV]: JSON.stringify(session) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const records: BenchRecord[] = [];
    let buffer = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith(RECORD_PREFIX))
          records.push(JSON.parse(line.slice(RECORD_PREFIX.length)) as BenchRecord);
        else if (line.trim()) process.stderr.write(`  ${line}\n`);
        nl = buffer.indexOf('\n');
      }
    });
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ bench, code, timedOut, records });
    });
  });
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
}

/** Exit status: broken harness or IdeaMine correctness, not peers' failures. */
function failures(outcomes: readonly ChildOutcome[]): string[] {
  const out: string[] = [];
  for (const o of outcomes) {
    if (o.timedOut) out.push(`${o.bench}: killed at its time limit`);
    else if (o.code !== 0) out.push(`${o.bench}: exited with ${o.code}`);
    for (const r of o.records) {
      if (!r.system.startsWith('ideamine')) continue;
      if (r.status === 'error') out.push(`${r.bench} ${r.system} ${r.config}: ${r.note ?? 'error'}`);
      if (r.check && (r.check.duplicates > 0 || r.check.losses > 0)) {
        out.push(
          `${r.bench} ${r.system} ${r.config} run ${r.run}: ${r.check.duplicates} duplicates, ${r.check.losses} losses`,
        );
      }
    }
  }
  return out;
}

async function main(args: RunnerArgs): Promise<number> {
  const systems =
    args.systems ?? (args.mode === 'smoke' ? SMOKE_SYSTEMS : args.mode === 'full' ? FULL_SYSTEMS : undefined);
  const session = sessionDefaults(args.mode, args.runs, systems);
  const started = new Date();
  process.stderr.write(
    `bench: ${args.mode} mode, ${args.runs} run(s), ${args.only.join(',')}; database ${session.benchDb}\n`,
  );
  const machine: Fingerprint = await fingerprint({ ...session, fsync: args.mode !== 'smoke' });
  await createDatabase(session.adminUrl, session.benchDb);
  const cleanup = async () => {
    await dropDatabase(session.adminUrl, session.benchDb).catch((e) =>
      process.stderr.write(`drop database: ${e}\n`),
    );
    await deleteRedisPrefix(session.redisUrl, session.redisPrefix).catch(() => {});
  };
  const onSignal = () => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const resultsDir = join(HERE, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${timestamp()}.jsonl`);
  const outcomes: ChildOutcome[] = [];
  try {
    for (const bench of args.only) {
      const t0 = performance.now();
      process.stderr.write(`bench: ${bench} …\n`);
      const outcome = await runChild(bench, session, BENCH_TIMEOUT_MS[args.mode]);
      outcomes.push(outcome);
      for (const r of outcome.records) {
        appendFileSync(
          file,
          `${JSON.stringify({ session: session.benchDb, at: started.toISOString(), mode: args.mode, ...r, machine })}\n`,
        );
      }
      process.stderr.write(
        `bench: ${bench} done in ${((performance.now() - t0) / 1000).toFixed(1)} s (${outcome.records.length} rows)\n`,
      );
    }
  } finally {
    await cleanup();
  }

  const records = outcomes.flatMap((o) => o.records);
  const header = [
    `## Results — ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${args.mode} mode, ${args.runs} measured run(s)${args.mode === 'smoke' ? ' (smoke: sizes too small to mean anything)' : ''}`,
    '',
    ...describeMachine(machine),
    `- Raw rows: ${file}`,
    '',
  ];
  process.stdout.write(`${header.join('\n')}\n${renderTables(records)}\n`);
  const problems = failures(outcomes);
  for (const p of problems) process.stderr.write(`bench: FAILED ${p}\n`);
  return problems.length > 0 ? 1 : 0;
}

try {
  process.exit(await main(parseRunnerArgs(process.argv.slice(2))));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
