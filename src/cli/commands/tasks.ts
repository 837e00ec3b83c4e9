import type { Command } from 'commander';
import { ErrorCode, IdeaMineError, invalidInput } from '../../core/errors.ts';
import { checkTaskSubmission } from '../../engine/task-submission.ts';
import { TASK_STATES, type TaskRecord, type TaskState } from '../../queue/task-queue.ts';
import type { CliContext } from '../context.ts';
import { formatAge, printJson, printLine, printTable } from '../output.ts';
import { withRuntime } from '../with-runtime.ts';

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidInput(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

function parseCount(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw invalidInput(`--count must be a whole number from 1 to 1000000, got "${text}"`);
  return n;
}

function summary(t: TaskRecord): Record<string, unknown> {
  return {
    id: t.id,
    type: t.type,
    state: t.state,
    attempt: `${t.attempt}/${t.maxAttempts}`,
    progress: t.progress?.pct === undefined ? null : `${t.progress.pct}%`,
    runAt: t.runAt,
    error: t.error?.message ?? null,
  };
}

export function registerTasksCommand(program: Command, cli: CliContext): void {
  const tasks = program.command('tasks').description('inspect and operate the task queue');

  tasks
    .command('enqueue <type>')
    .description('enqueue tasks (e.g. diag.sleep to check a deployment)')
    .option('-n, --count <n>', 'how many', '1')
    .option('-i, --input <json>', 'task input as JSON', '{}')
    .option('-p, --priority <n>', 'higher runs first', '0')
    .option('--max-attempts <n>', 'attempts before dead-lettering')
    .option('--json', 'print JSON')
    .action(
      async (
        type: string,
        flags: { count: string; input: string; priority: string; maxAttempts?: string; json?: boolean },
      ) => {
        const count = parseCount(flags.count);
        const input = parseJson(flags.input, '--input');
        const priority = Number(flags.priority);
        if (!Number.isInteger(priority))
          throw invalidInput(`--priority must be an integer, got "${flags.priority}"`);
        const ids = await withRuntime(cli, async (rt) => {
          checkTaskSubmission(rt.taskTypes, type, input);
          const all: string[] = [];
          for (let i = 0; i < count; i += 1_000) {
            const batch = Array.from({ length: Math.min(1_000, count - i) }, () => ({
              type,
              input,
              priority,
              ...(flags.maxAttempts ? { maxAttempts: parseCount(flags.maxAttempts) } : {}),
            }));
            all.push(...(await rt.queue.enqueueMany(batch)));
          }
          return all;
        });
        if (flags.json) printJson({ enqueued: ids.length, ids });
        else
          printLine(
            `enqueued ${ids.length} ${type} task${ids.length === 1 ? '' : 's'}${ids.length === 1 ? `: ${ids[0]}` : ''}`,
          );
      },
    );

  tasks
    .command('list')
    .description('list tasks, newest first')
    .option('-s, --state <state>', `one of ${TASK_STATES.join(', ')}`)
    .option('-t, --type <type>', 'only this task type')
    .option('-l, --limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON lines')
    .action(async (flags: { state?: string; type?: string; limit: string; json?: boolean }) => {
      if (flags.state && !TASK_STATES.includes(flags.state as TaskState)) {
        throw invalidInput(`--state must be one of ${TASK_STATES.join(', ')}; got "${flags.state}"`);
      }
      const list = await withRuntime(cli, (rt) =>
        rt.queue.list({
          ...(flags.state ? { state: flags.state as TaskState } : {}),
          ...(flags.type ? { type: flags.type } : {}),
          limit: parseCount(flags.limit),
        }),
      );
      if (flags.json) for (const t of list) printJson(t);
      else if (list.length === 0) printLine('no tasks');
      else printTable(list.map(summary), ['id', 'type', 'state', 'attempt', 'progress', 'runAt', 'error']);
    });

  tasks
    .command('stats')
    .description('counts by state, dead-lettered, oldest ready age, stale writes rejected')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const stats = await withRuntime(cli, (rt) => rt.queue.stats());
      if (flags.json) return printJson(stats);
      printTable(
        TASK_STATES.map((s) => ({ state: s, count: stats.byState[s] })),
        ['state', 'count'],
      );
      printLine();
      printLine(
        `due now: ${stats.due}   oldest ready: ${formatAge(stats.oldestReadyAgeMs)}   dead-lettered: ${stats.byState.dead}   stale writes rejected: ${stats.staleWritesRejected}`,
      );
    });

  tasks
    .command('retry <id>')
    .description('send a failed, dead or cancelled task back to the queue with a fresh attempt budget')
    .action(async (id: string) => {
      requireUuid(id);
      const ok = await withRuntime(cli, (rt) => rt.queue.retry(id));
      if (!ok) throw new IdeaMineError(ErrorCode.notFound, `no failed, dead or cancelled task ${id}`);
      printLine(`task ${id} is ready again`);
    });

  tasks
    .command('cancel <id>')
    .description('cancel a ready or running task (a running handler is aborted at its next heartbeat)')
    .action(async (id: string) => {
      requireUuid(id);
      const ok = await withRuntime(cli, (rt) => rt.queue.cancel(id));
      if (!ok) throw new IdeaMineError(ErrorCode.notFound, `no ready or running task ${id}`);
      printLine(`task ${id} cancelled`);
    });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function requireUuid(id: string, what = 'task id'): void {
  if (!UUID.test(id)) throw invalidInput(`${what} must be a UUID, got "${id}"`);
}
