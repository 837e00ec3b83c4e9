import type { Context } from 'hono';
import type { z } from 'zod';
import { ErrorCode, IdeaMineError } from '../../core/errors.ts';
import { checkTaskSubmission } from '../../engine/task-submission.ts';
import type { Runtime } from '../../runtime.ts';
import type { ApiEnv } from '../auth.ts';
import { IdParams, INVALID_REQUEST, notFound, problem, type RouteTable } from '../route-table.ts';
import { HeartbeatResultSchema, HeartbeatSchema, SubmitTaskSchema, TaskSchema } from '../schemas.ts';
import { taskView } from '../views.ts';

const TAG = 'tasks';
const errors = {
  400: INVALID_REQUEST,
  404: problem('no such task'),
};

/** The queue's internal endpoints: submit, get, cancel a task; a worker's heartbeat. */
export function registerTaskRoutes(routes: RouteTable, rt: Runtime): void {
  routes.add(
    {
      method: 'post',
      path: '/api/tasks',
      summary: "Submit a task (checked against its type's input schema before it is stored)",
      tag: TAG,
      scopes: ['tasks:write'],
      body: SubmitTaskSchema,
      responses: {
        201: { description: 'queued', schema: TaskSchema },
        200: { description: 'the task already stored under this idempotency key', schema: TaskSchema },
        400: errors[400],
      },
    },
    (c, { body }) => submitTask(c, rt, body),
  );

  routes.add(
    {
      method: 'get',
      path: '/api/tasks/:id',
      summary: 'One task: state, attempt, progress, result or error',
      tag: TAG,
      scopes: ['tasks:write', 'runs:read'],
      params: IdParams,
      responses: { 200: { description: 'the task', schema: TaskSchema }, ...errors },
    },
    async (c, { params }) => {
      const task = await rt.queue.get(params.id);
      if (!task) throw notFound(`task ${params.id}`);
      return c.json(taskView(task));
    },
  );

  routes.add(
    {
      method: 'post',
      path: '/api/tasks/:id/cancel',
      summary: 'Cancel a ready or running task (a running handler stops at its next heartbeat)',
      tag: TAG,
      scopes: ['tasks:write'],
      params: IdParams,
      responses: {
        202: { description: 'cancelled', schema: TaskSchema },
        ...errors,
        409: problem('the task has already ended'),
      },
    },
    async (c, { params }) => {
      if (!(await rt.queue.get(params.id))) throw notFound(`task ${params.id}`);
      if (!(await rt.queue.cancel(params.id)))
        throw new IdeaMineError(ErrorCode.conflict, `task ${params.id} has already ended`);
      const task = await rt.queue.get(params.id);
      if (!task) throw notFound(`task ${params.id}`);
      return c.json(taskView(task), 202);
    },
  );

  routes.add(
    {
      method: 'post',
      path: '/api/heartbeat',
      summary: "Report a task attempt's progress and extend its lease",
      tag: TAG,
      scopes: ['tasks:write'],
      body: HeartbeatSchema,
      responses: HEARTBEAT_RESPONSES,
    },
    async (c, { body }) => c.json(await heartbeat(rt, body)),
  );
}

export const HEARTBEAT_RESPONSES = {
  200: { description: 'lease extended', schema: HeartbeatResultSchema },
  400: INVALID_REQUEST,
  409: problem('this attempt no longer holds the task (stale)'),
};

/** A fenced heartbeat: extends the lease of `(taskId, attempt)`, or 409 when that attempt is stale. */
export async function heartbeat(
  rt: Runtime,
  body: z.output<typeof HeartbeatSchema>,
): Promise<{ ok: true; checkpointRequested: boolean }> {
  const { taskId, attempt, ...progress } = body;
  const result = await rt.queue.heartbeat([{ taskId, attempt, progress }]);
  if (result.lost.length > 0)
    throw new IdeaMineError(
      ErrorCode.staleAttempt,
      `attempt ${attempt} of task ${taskId} no longer holds it (ended, cancelled or re-claimed)`,
    );
  return { ok: true, checkpointRequested: result.checkpointRequested.length > 0 };
}

/** Checks a submission against its type, then enqueues it: 201 new, 200 already stored under its key. */
export async function submitTask(
  c: Context<ApiEnv>,
  rt: Runtime,
  body: z.output<typeof SubmitTaskSchema>,
  owner: { runId: string; phaseRowId: string } | Record<string, never> = {},
): Promise<Response> {
  const input = body.input ?? {};
  checkTaskSubmission(rt.taskTypes, body.type, input);
  const { task, created } = await rt.queue.enqueue({ ...body, input, ...owner });
  c.header('Location', `/api/tasks/${task.id}`);
  return c.json(taskView(task), created ? 201 : 200);
}
