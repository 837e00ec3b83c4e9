import { z } from 'zod';
import { invalidInput } from '../errors.ts';
import { PHASE_EVENTS } from './phase-events.ts';
import { contract } from './registry.ts';
import { RUN_EVENTS } from './run-events.ts';
import { SYSTEM_EVENTS } from './system-events.ts';
import { TASK_EVENTS } from './task-events.ts';

const EVENT_VARIANTS = [...RUN_EVENTS, ...PHASE_EVENTS, ...TASK_EVENTS, ...SYSTEM_EVENTS] as const;

/**
 * Every event IdeaMine stores, as a union discriminated on `type`. There is deliberately no
 * `task.heartbeat` event: see heartbeat.ts for why heartbeats update the task row instead.
 */
export const EventSchema = contract(
  z.discriminatedUnion('type', EVENT_VARIANTS),
  'schema.event.v1',
  'Event',
  'An entry of the event log: envelope (seq, id, runId, phase, taskId, createdAt), type and typed payload.',
);
export type IdeaMineEvent = z.infer<typeof EventSchema>;
export type EventType = IdeaMineEvent['type'];
export type EventOf<T extends EventType> = Extract<IdeaMineEvent, { type: T }>;
export type EventPayload<T extends EventType> = EventOf<T>['payload'];

/**
 * What a producer hands to the event store: the store assigns `seq`, `id` and `createdAt`.
 * Distributes over the union so `type` still narrows `payload`.
 */
export type EventDraft<T extends EventType = EventType> = T extends EventType
  ? Omit<EventOf<T>, 'seq' | 'id' | 'createdAt'>
  : never;

export const EVENT_TYPES: readonly EventType[] = EVENT_VARIANTS.map((variant) => variant.shape.type.value);

const VARIANTS_BY_TYPE: ReadonlyMap<string, (typeof EVENT_VARIANTS)[number]> = new Map(
  EVENT_VARIANTS.map((variant) => [variant.shape.type.value, variant]),
);

export function isEventType(type: string): type is EventType {
  return VARIANTS_BY_TYPE.has(type);
}

function variantFor(type: string): (typeof EVENT_VARIANTS)[number] {
  const variant = VARIANTS_BY_TYPE.get(type);
  if (!variant) throw invalidInput(`unknown event type "${type}"`);
  return variant;
}

/** The payload schema of one event type. */
export function eventPayloadSchema<T extends EventType>(type: T): z.ZodType<EventPayload<T>> {
  return variantFor(type).shape.payload as unknown as z.ZodType<EventPayload<T>>;
}

/**
 * Validates a draft (envelope scope and payload) before it is stored, so a malformed event fails
 * where it is produced rather than in a dashboard days later.
 */
export function parseEventDraft<D extends EventDraft>(draft: D): D {
  const schema = variantFor(draft.type).omit({ seq: true, id: true, createdAt: true });
  const result = schema.safeParse(draft);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw invalidInput(`invalid ${draft.type} event: ${where}${issue?.message ?? 'invalid'}`, {
      issues: result.error.issues,
    });
  }
  return result.data as D;
}
