import type { SocketClient } from '../api/client.ts';
import type { EventView, PhaseView, RunView } from '../api/schemas.ts';
import type { Idea } from '../core/agent.ts';
import { ErrorCode, IdeaMineError, invalidInput } from '../core/errors.ts';
import type { StoredEvent } from '../storage/event-store.ts';
import type { LockOwner } from '../storage/lock-file.ts';

/**
 * The CLI's side of the owner's unix-socket API: the same questions the local commands ask the
 * database, asked of the process that owns the embedded data dir. Shapes are the API's (schemas.ts).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How many of the newest runs a short id prefix is matched against (the API's list limit). */
const PREFIX_SEARCH_RUNS = 500;
const TERMINAL_EVENTS = new Set(['run.completed', 'run.failed', 'run.cancelled']);
const RUN_STATUS_POLL_MS = 1_000;
const UNDRIVEN_POLL_MS = 250;

/** A full run id, or the one run among the newest 500 whose id starts with `idOrPrefix`. */
export async function resolveRunIdViaOwner(api: SocketClient, idOrPrefix: string): Promise<string> {
  if (UUID.test(idOrPrefix)) {
    await getRunViaOwner(api, idOrPrefix);
    return idOrPrefix.toLowerCase();
  }
  const { runs } = await api.get<{ runs: RunView[] }>(`/api/runs?limit=${PREFIX_SEARCH_RUNS}`);
  const ids = runs.map((r) => r.id).filter((id) => id.startsWith(idOrPrefix.toLowerCase()));
  if (ids.length === 0)
    throw new IdeaMineError(ErrorCode.notFound, `no run matches "${idOrPrefix}" (see ideamine runs)`);
  if (ids.length > 1) throw invalidInput(`"${idOrPrefix}" matches several runs; give more of the id`);
  return ids[0] as string;
}

export async function getRunViaOwner(api: SocketClient, runId: string): Promise<RunView> {
  try {
    return await api.get<RunView>(`/api/runs/${encodeURIComponent(runId)}`);
  } catch (error) {
    if (error instanceof IdeaMineError && error.code === ErrorCode.notFound)
      throw new IdeaMineError(ErrorCode.notFound, `no run matches "${runId}" (see ideamine runs)`);
    throw error;
  }
}

export async function latestRunIdViaOwner(api: SocketClient): Promise<string | undefined> {
  const { runs } = await api.get<{ runs: RunView[] }>('/api/runs?limit=1');
  return runs[0]?.id;
}

export async function phasesViaOwner(api: SocketClient, runId: string): Promise<PhaseView[]> {
  return (await api.get<{ phases: PhaseView[] }>(`/api/runs/${runId}/phases`)).phases;
}

export async function signalViaOwner(
  api: SocketClient,
  runId: string,
  signal: 'pause' | 'cancel',
): Promise<RunView> {
  return api.post<RunView>(`/api/runs/${runId}/${signal}`);
}

export async function searchKmapViaOwner(
  api: SocketClient,
  runId: string,
  query: string | undefined,
  limit: number,
): Promise<Array<Record<string, unknown>>> {
  const params = new URLSearchParams({ limit: String(limit), ...(query ? { q: query } : {}) });
  return (await api.get<{ frames: Array<Record<string, unknown>> }>(`/api/runs/${runId}/kmap?${params}`))
    .frames;
}

/** Plans a run on the owner, which drives it beside (or after) what it is already doing. */
export async function queueRunViaOwner(api: SocketClient, idea: Idea): Promise<RunView> {
  return api.post<RunView>('/api/runs', {
    title: idea.title,
    description: idea.description,
    ...(idea.audience ? { audience: idea.audience } : {}),
    ...(idea.constraints ? { constraints: idea.constraints } : {}),
  });
}

/** Why following a run through the owner stopped. */
export type FollowEnd = 'settled' | 'paused' | 'caught-up' | 'interrupted' | 'owner-gone';

export interface FollowOptions {
  /** Stop once this sequence number has been printed (a snapshot of the events so far). */
  untilSeq?: number;
  /** Stop when the run is paused and nobody drives it (`run` waits for its run; `events -f` keeps following). */
  stopWhenPaused?: boolean;
  /** Ctrl-C stops following (and leaves the run alone). */
  stopOnSigint?: boolean;
}

/** The sequence number of the run's latest event so far (0 when it has none). */
export async function lastSeqViaOwner(api: SocketClient, runId: string): Promise<number> {
  return (await api.get<{ lastSeq: number }>(`/api/runs/${runId}/overview`)).lastSeq;
}

/**
 * Streams a run's events from the owner (all of them, from the first) to `onEvent`, until the run
 * settles (its last event arrives), stops paused with nobody driving it, `untilSeq` is reached, or the
 * owner goes away (its socket closes).
 */
export async function followRunViaOwner(
  api: SocketClient,
  runId: string,
  onEvent: (event: StoredEvent) => void,
  options: FollowOptions = {},
): Promise<FollowEnd> {
  let end: FollowEnd | undefined;
  let stop: () => void = () => {};
  const finish = (why: FollowEnd) => {
    end ??= why;
    stop();
  };
  if (options.untilSeq === 0) return 'caught-up';
  const stream = await api.stream(`/api/events?runId=${runId}&lastEventId=0`, (message) => {
    if (end) return;
    const event = storedEventOf(JSON.parse(message.data) as EventView);
    onEvent(event);
    if (TERMINAL_EVENTS.has(event.type)) finish('settled');
    else if (options.untilSeq !== undefined && event.seq >= options.untilSeq) finish('caught-up');
  });
  stop = () => stream.close();
  if (end) stream.close();
  // A pause is a stored status, not a final event: watch the run for "paused and nobody driving it".
  const watch = options.stopWhenPaused
    ? setInterval(() => {
        void getRunViaOwner(api, runId).then(
          (run) => {
            if (run.status === 'paused' && run.driver === null) finish('paused');
          },
          () => {},
        );
      }, RUN_STATUS_POLL_MS)
    : undefined;
  const onSigint = () => finish('interrupted');
  if (options.stopOnSigint) process.once('SIGINT', onSigint);
  try {
    const how = await stream.done;
    return end ?? (how === 'ended' ? 'owner-gone' : 'caught-up');
  } finally {
    clearInterval(watch);
    process.off('SIGINT', onSigint);
  }
}

/**
 * Resolves once nobody holds the run's lease: the driving process has finished with it, including
 * what it does after the final event (writing the dossier). Also resolves if the owner goes away.
 */
export async function untilUndriven(api: SocketClient, runId: string): Promise<RunView | undefined> {
  for (;;) {
    let run: RunView;
    try {
      run = await getRunViaOwner(api, runId);
    } catch {
      return undefined;
    }
    if (run.driver === null) return run;
    await new Promise((r) => setTimeout(r, UNDRIVEN_POLL_MS));
  }
}

function storedEventOf(view: EventView): StoredEvent {
  return { ...view, createdAt: new Date(view.createdAt) };
}

/** The owner, as a person reads it in a message: `process 1234 on host`. */
export function describeOwner(owner: LockOwner): string {
  return `process ${owner.pid} on ${owner.hostname}`;
}
