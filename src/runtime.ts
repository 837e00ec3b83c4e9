import { join } from 'node:path';
import { builtinHandlers } from './engine/handlers.ts';
import type { TaskHandler } from './engine/worker-pool.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { SqlTaskQueue } from './queue/sql-task-queue.ts';
import type { TaskQueue } from './queue/task-queue.ts';
import type { Database } from './storage/database.ts';
import { openDatabase, type StorageOptions } from './storage/open.ts';

/**
 * The composition root: picks drivers from resolved options and wires them. Everything above it
 * (CLI, API) receives a Runtime; nothing below it knows which drivers were chosen.
 */

export interface RuntimeOptions {
  /** IdeaMine home (PGlite data, artifacts, dossiers). */
  home: string;
  databaseUrl?: string | undefined;
  pgSchema?: string | undefined;
  leaseMs: number;
  logLevel: string;
}

export interface Runtime {
  readonly options: RuntimeOptions;
  readonly db: Database;
  readonly queue: TaskQueue;
  readonly logger: Logger;
  readonly handlers: Map<string, TaskHandler>;
  close(): Promise<void>;
}

export function storageOptionsFor(options: RuntimeOptions): StorageOptions {
  return options.databaseUrl
    ? {
        driver: 'postgres',
        url: options.databaseUrl,
        ...(options.pgSchema ? { schema: options.pgSchema } : {}),
      }
    : { driver: 'pglite', dataDir: options.home };
}

export function artifactsDir(options: Pick<RuntimeOptions, 'home'>): string {
  return join(options.home, 'artifacts');
}

export async function openRuntime(options: RuntimeOptions, logger: Logger = createLogger({ level: options.logLevel })): Promise<Runtime> {
  const db = await openDatabase(storageOptionsFor(options));
  const queue = new SqlTaskQueue(db, { defaultLeaseMs: options.leaseMs });
  return {
    options,
    db,
    queue,
    logger,
    handlers: builtinHandlers(),
    close: () => db.close(),
  };
}
