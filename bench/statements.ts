/**
 * Statements per agent task (issue 13, part 3): drives one main-job run — the same path as
 * `ideamine run "<idea>"` (orchestrator + worker pool in one process, offline model) — with the
 * database wrapped by a statement counter, then prints total statements, transactions, agent tasks,
 * statements per agent task, the top statement shapes and the top callers.
 *
 *   npx node bench/statements.ts [--idea "..."] [--home /tmp/h5-1] [--database-url postgres://…] [--json out.json]
 *
 * Without --database-url the run uses the embedded PGlite in --home (a fresh temp dir by default).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ideaFromText } from '../src/cli/commands/run.ts';
import { resolveOptions } from '../src/config/options.ts';
import { WorkerPool } from '../src/engine/worker-pool.ts';
import { createLogger } from '../src/observability/logger.ts';
import { openRuntime } from '../src/runtime.ts';
import type { Database } from '../src/storage/database.ts';
import { countingDatabase, type StatementCounter } from '../src/storage/statement-counter.ts';

const { values } = parseArgs({
  options: {
    idea: { type: 'string', default: 'A shared todo app for small teams' },
    home: { type: 'string' },
    'database-url': { type: 'string' },
    schema: { type: 'string' },
    json: { type: 'string' },
    top: { type: 'string', default: '15' },
  },
});

const home = values.home ?? mkdtempSync(join(tmpdir(), 'ideamine-statements-'));
const resolved = resolveOptions({
  flags: { home, ...(values['database-url'] ? { databaseUrl: values['database-url'] } : {}) },
});
let counter: StatementCounter | undefined;
const runtime = await openRuntime(
  {
    ...resolved,
    ...(values.schema ? { pgSchema: values.schema } : {}),
    databaseDecorator: (db: Database) => {
      const counting = countingDatabase(db);
      counter = counting.counter;
      return counting.db;
    },
  },
  createLogger({ level: 'warn' }),
);
if (!counter) throw new Error('the runtime did not take the counting database');
const pool = new WorkerPool({
  queue: runtime.queue,
  handlers: runtime.handlers,
  concurrency: resolved.concurrency,
  heartbeatMs: resolved.heartbeatMs,
  logger: runtime.logger,
  pollMaxMs: 500,
  observer: runtime.metrics.tasks,
});
// Opening (migrations, key load) is not the run's work: count from here.
counter.reset();
const started = Date.now();
let outcome: string;
let runId: string;
try {
  const configs = await runtime.loadPhaseConfigs();
  runId = (await runtime.orchestrator.createRun(ideaFromText(values.idea), configs)).runId;
  await pool.start();
  runtime.supervisor.start();
  outcome = await runtime.orchestrator.drive(runId);
} finally {
  await pool.stop({ graceMs: 1_000 });
}
const counts = counter.counts();
const elapsedMs = Date.now() - started;
const [tasks] = await runtime.db.query<{ agent: number; all: number }>(
  `select count(*) filter (where type = 'agent.run')::int as agent, count(*)::int as "all" from tasks where run_id = $1`,
  [runId],
);
await runtime.close();

const agentTasks = tasks?.agent ?? 0;
const top = Number(values.top);
const report = {
  idea: values.idea,
  driver: runtime.db.driver,
  outcome,
  elapsedMs,
  statements: counts.statements,
  transactions: counts.transactions,
  tasks: tasks?.all ?? 0,
  agentTasks,
  statementsPerAgentTask: agentTasks ? Math.round((counts.statements / agentTasks) * 10) / 10 : null,
  topShapes: counts.byShape.slice(0, top).map((s) => ({
    count: s.count,
    shape: s.shape.slice(0, 160),
    callers: s.callers.slice(0, 3),
  })),
  topCallers: counts.byCaller.slice(0, top),
};
// The file keeps every shape and caller; the console shows the top ones.
if (values.json)
  writeFileSync(
    values.json,
    `${JSON.stringify({ ...report, allShapes: counts.byShape, allCallers: counts.byCaller }, null, 2)}\n`,
  );
console.log(
  `${report.driver} run ${outcome} in ${elapsedMs} ms: ${report.statements} statements, ${report.transactions} transactions, ` +
    `${report.tasks} tasks (${agentTasks} agent) → ${report.statementsPerAgentTask} statements per agent task`,
);
console.log('\ntop statement shapes:');
for (const s of report.topShapes)
  console.log(
    `${String(s.count).padStart(6)}  ${s.shape}\n        ${s.callers.map((c) => `${c.caller}×${c.count}`).join('  ')}`,
  );
console.log('\ntop callers:');
for (const c of report.topCallers) console.log(`${String(c.count).padStart(6)}  ${c.caller}`);
