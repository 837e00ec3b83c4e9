import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { subscribeEvents } from '../../engine/event-bus.ts';
import type { Database } from '../../storage/database.ts';
import { parseWith, problem, type RouteTable } from '../route-table.ts';
import { EventsQuerySchema } from '../schemas.ts';
import { eventView } from '../views.ts';

export interface EventStreamOptions {
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: number;
  /** How often a stream re-reads the store when no notification came (cross-process without LISTEN). */
  pollMs: number;
  /** Ends every open stream (server shutdown). */
  signal?: AbortSignal | undefined;
}

const LastEventId = z.coerce.number().int().min(0);

/**
 * `GET /api/events`: stored events as Server-Sent Events, `id:` = the event's sequence number.
 * The event bus listens before it replays and dedupes by sequence, so a client resuming with
 * `Last-Event-ID` (header, or `?lastEventId=` for EventSource polyfills) misses nothing and sees
 * nothing twice across the replay→live boundary.
 */
export function registerEventRoutes(routes: RouteTable, db: Database, options: EventStreamOptions): void {
  routes.add(
    {
      method: 'get',
      path: '/api/events',
      summary: 'Live events as Server-Sent Events; resumes after Last-Event-ID',
      tag: 'events',
      scopes: ['runs:read'],
      query: EventsQuerySchema,
      responses: {
        200: {
          description: 'text/event-stream; each message: id = sequence, data = an Event as JSON',
          contentType: 'text/event-stream',
        },
        400: problem('invalid query or Last-Event-ID'),
      },
    },
    (c, { query }) => {
      const header = c.req.header('last-event-id');
      const afterSeq =
        header !== undefined && header.trim() !== ''
          ? parseWith(LastEventId, header, 'Last-Event-ID header')
          : (query.lastEventId ?? 0);
      return streamSSE(c, async (stream) => {
        const ended = new Promise<void>((resolve) => {
          stream.onAbort(resolve);
          if (options.signal?.aborted) resolve();
          options.signal?.addEventListener('abort', () => resolve(), { once: true });
        });
        const subscription = await subscribeEvents(
          db,
          {
            afterSeq,
            pollMs: options.pollMs,
            ...(query.runId ? { runId: query.runId } : {}),
            ...(query.types ? { types: query.types } : {}),
          },
          async (event) => {
            if (stream.aborted || stream.closed) return;
            await stream.writeSSE({ id: String(event.seq), data: JSON.stringify(eventView(event)) });
          },
        );
        const heartbeat = setInterval(() => {
          if (!stream.aborted && !stream.closed) void stream.write(': keep-alive\n\n').catch(() => {});
        }, options.heartbeatMs);
        try {
          await ended;
        } finally {
          clearInterval(heartbeat);
          await subscription.close();
        }
      });
    },
  );
}
