import { hostname } from 'node:os';
import { isUnreachable, SocketClient } from '../api/client.ts';
import { BackgroundRunDriver } from '../api/run-driver.ts';
import { type SocketServer, serveOwnerSocket, socketPathFor } from '../api/socket-server.ts';
import { coerceError, ErrorClass, ErrorCode, IdeaMineError, isIdeaMineError } from '../core/errors.ts';
import { openRuntime, type Runtime, type RuntimeOptions } from '../runtime.ts';
import { isProcessAlive, type LockOwner, readLockOwner } from '../storage/lock-file.ts';
import type { CliContext } from './context.ts';

/** Opens the runtime for one command and always closes it (releasing the embedded data dir's lock). */
export async function withRuntime<T>(cli: CliContext, fn: (runtime: Runtime) => Promise<T>): Promise<T> {
  const options = cli.options();
  const runtime = await openRuntime(options, cli.logger(options));
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

/** A process that owns its data dir for a while (`run`, `resume`, `worker`, `serve`). */
export interface OwnerRuntime {
  readonly runtime: Runtime;
  /** Drives the runs other commands create or resume through this process's socket. */
  readonly driver: BackgroundRunDriver;
  /** The unix-socket API, on the embedded default only. */
  readonly socket: SocketServer | undefined;
  /** Resolves once no run given to `driver` is being driven any more. */
  queuedRunsSettled(): Promise<void>;
  /** Closes the socket (removing its file), pauses queued runs still driven, closes the runtime. */
  close(): Promise<void>;
}

const QUEUED_POLL_MS = 250;

/**
 * Opens the runtime of a long-running command. On the embedded default the process now owns the
 * data dir, so it serves the API on `<home>/api.sock` for every other `ideamine` command, and drives
 * the runs they queue on it. A socket that cannot be opened is logged, not fatal: the owner's own
 * work goes on, and other commands say they cannot reach it.
 */
export async function openOwnerRuntime(
  cli: CliContext,
  options: ReturnType<CliContext['options']>,
): Promise<OwnerRuntime> {
  const runtime = await openRuntime(options, cli.logger(options));
  const driver = new BackgroundRunDriver({ orchestrator: runtime.orchestrator, logger: runtime.logger });
  let socket: SocketServer | undefined;
  if (!options.databaseUrl) {
    try {
      socket = await serveOwnerSocket({ runtime, driver });
    } catch (error) {
      runtime.logger.warn({ err: coerceError(error).message }, 'not serving the API socket');
    }
  }
  let closing: Promise<void> | undefined;
  return {
    runtime,
    driver,
    socket,
    queuedRunsSettled: async () => {
      while (driver.activeRuns.length > 0) await new Promise((r) => setTimeout(r, QUEUED_POLL_MS));
    },
    close: () => {
      closing ??= (async () => {
        await socket?.close();
        await driver.stop();
        await runtime.close();
      })();
      return closing;
    },
  };
}

/** A command that works both on its own runtime and through the process owning the data dir. */
export interface LocalOrOwner<T> {
  local: (runtime: Runtime) => Promise<T>;
  /** Called with a client of the owner's unix-socket API when another live process owns the data dir. */
  owner: (api: SocketClient, owner: LockOwner) => Promise<T>;
}

/**
 * How long to wait for an owner that holds the lock but does not answer on its socket yet: it may be
 * opening the database (seconds on a busy machine) or be a short command about to release the lock.
 */
export const OWNER_WAIT_MS = 15_000;
const OWNER_POLL_MS = 200;

/**
 * Runs `local` on this process's own runtime; when the embedded data dir is owned by another live
 * process (a `run`, `resume`, `worker` or `serve`), runs `owner` against that process's API on
 * `<home>/api.sock` instead. An owner that cannot be reached fails with exit 5, naming its pid.
 */
export async function withRuntimeOrOwner<T>(cli: CliContext, handlers: LocalOrOwner<T>): Promise<T> {
  const options = cli.options();
  const opened = await openOrReachOwner(options, () => openRuntime(options, cli.logger(options)));
  if (!('local' in opened)) return handlers.owner(opened.api, opened.owner);
  try {
    return await handlers.local(opened.local);
  } finally {
    await opened.local.close();
  }
}

/** Either what `open` opened, or the API of the live process that owns the data dir. */
export type OpenedOrOwner<L> = { local: L } | { api: SocketClient; owner: LockOwner };

/**
 * Calls `open`; if it fails because another live process owns the embedded data dir, reaches that
 * process's socket instead. An owner that lets go meanwhile gets one more `open`.
 */
export async function openOrReachOwner<L>(
  options: Pick<RuntimeOptions, 'home' | 'databaseUrl'>,
  open: () => Promise<L>,
): Promise<OpenedOrOwner<L>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return { local: await open() };
    } catch (error) {
      if (options.databaseUrl || !isIdeaMineError(error) || error.code !== ErrorCode.dataDirLocked)
        throw error;
      const reached = await reachOwner(options.home);
      if (reached !== 'released') return reached;
      if (attempt > 0) throw error;
    }
  }
}

/**
 * Finds the owner's API: polls `/healthz` on its socket until it answers, the owner lets go of the lock
 * (`released`), or OWNER_WAIT_MS passes (an error naming the owner's pid, exit 5).
 */
export async function reachOwner(
  home: string,
  waitMs = OWNER_WAIT_MS,
): Promise<{ api: SocketClient; owner: LockOwner } | 'released'> {
  const api = new SocketClient({ socketPath: socketPathFor(home) });
  const deadline = Date.now() + waitMs;
  let lastError: unknown;
  for (;;) {
    const owner = readLockOwner(home);
    if (!owner || (owner.hostname === hostname() && !isProcessAlive(owner.pid))) return 'released';
    try {
      await api.get('/healthz');
      return { api, owner };
    } catch (error) {
      if (!isUnreachable(error)) throw ownerUnreachable(home, owner, api.socketPath, error);
      lastError = error;
    }
    if (Date.now() >= deadline) throw ownerUnreachable(home, owner, api.socketPath, lastError);
    await new Promise((r) => setTimeout(r, OWNER_POLL_MS));
  }
}

function ownerUnreachable(home: string, owner: LockOwner, socketPath: string, cause: unknown): IdeaMineError {
  const reason =
    (cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ||
    (cause as IdeaMineError | undefined)?.message?.includes('ENOENT')
      ? `does not serve the API socket ${socketPath} (an ideamine older than the socket, or still starting)`
      : `does not answer on ${socketPath}`;
  return new IdeaMineError(
    ErrorCode.dataDirLocked,
    `data dir ${home} is owned by process ${owner.pid} on ${owner.hostname} (since ${owner.startedAt}), which ${reason}; ` +
      'wait for it to finish or stop it (ideamine resume continues its run), or use DATABASE_URL to share one database between processes',
    { errorClass: ErrorClass.fatal, details: { dataDir: home, owner, socketPath } },
  );
}
