import { expect } from 'vitest';
import { EventSchema } from '../../src/core/schemas/event.ts';
import type { StoredEvent } from '../../src/storage/event-store.ts';

/** Every stored event must match its versioned schema (schema.event.v1). */
export function expectValidEvents(events: readonly StoredEvent[]): void {
  for (const e of events) {
    const parsed = EventSchema.safeParse({
      seq: e.seq,
      id: e.id,
      runId: e.runId,
      phase: e.phase,
      taskId: e.taskId,
      createdAt: e.createdAt.toISOString(),
      type: e.type,
      payload: e.payload,
    });
    expect(parsed.success, `${e.type}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`).toBe(
      true,
    );
  }
}
