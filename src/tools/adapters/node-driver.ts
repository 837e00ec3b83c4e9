import { z } from 'zod';
import type { ToolContext, ToolPlan } from '../tool.ts';

/**
 * The plan of a tool whose work is done by a driver script run on the pinned Node: the driver gets
 * the invocation's scratch dir (where it writes its results for `parse`) and its spec as JSON.
 */
export function nodeDriverPlan(
  driver: string,
  ctx: ToolContext,
  spec: unknown,
  limits: { timeoutMs: number; memoryMb: number },
): ToolPlan {
  return {
    command: ctx.nodePath,
    args: [driver, ctx.scratchDir, JSON.stringify(spec)],
    timeoutMs: limits.timeoutMs,
    memoryMb: limits.memoryMb,
  };
}

/** What every workspace tool takes: the commit it runs on (copied into its report) and its limits. */
export const WorkspaceToolInput = z.object({
  /** The workspace commit the tool runs on, copied into the reports. */
  commit: z.string().optional(),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
  memoryMb: z.number().int().positive().default(1024),
});
