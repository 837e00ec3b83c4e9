import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../storage/event-store.ts';
import { createProgressPrinter } from './progress.ts';

const at = new Date('2026-01-01T00:00:00Z');
const events: StoredEvent[] = [
  {
    seq: 1,
    id: 'a',
    type: 'run.created',
    runId: 'r1',
    phase: null,
    taskId: null,
    payload: { title: 'T' },
    createdAt: at,
  },
  {
    seq: 2,
    id: 'b',
    type: 'run.started',
    runId: 'r1',
    phase: null,
    taskId: null,
    payload: { planHash: 'h', levels: [['intake'], ['prd']], takeover: false },
    createdAt: at,
  },
  {
    seq: 3,
    id: 'c',
    type: 'phase.started',
    runId: 'r1',
    phase: 'intake',
    taskId: null,
    payload: { attempt: 1, agents: ['x', 'y'], budgets: {}, timeboxMs: 0 },
    createdAt: at,
  },
];

function capture() {
  const out: string[] = [];
  return { out, write: (text: string) => void out.push(text) };
}

describe('progress printer', () => {
  it('prints one JSON line per event when output is not a terminal, as before', () => {
    const { out, write } = capture();
    const printer = createProgressPrinter({ json: true, live: true, write });
    for (const e of events) printer.onEvent(e);
    printer.close();
    expect(out).toHaveLength(3);
    expect(out.map((l) => JSON.parse(l))).toMatchObject([
      { runId: 'r1', seq: 1, type: 'run.created', payload: { title: 'T' } },
      { seq: 2, type: 'run.started' },
      { seq: 3, type: 'phase.started', phase: 'intake' },
    ]);
  });

  it('redraws the live view in place: the second frame first moves up over the first and clears', async () => {
    const { out, write } = capture();
    const printer = createProgressPrinter({ json: false, live: true, write, columns: () => 120 });
    for (const e of events.slice(0, 2)) printer.onEvent(e);
    // Events that arrive together are drawn together, after the redraw delay (never one frame each).
    await new Promise((r) => setTimeout(r, 250));
    expect(out.length).toBeGreaterThanOrEqual(1);
    const first = out[0] ?? '';
    expect(first.startsWith('run r1  "T"\n· intake')).toBe(true);
    const height = first.split('\n').length - 1;
    printer.onEvent(events[2] as StoredEvent);
    printer.close();
    const last = out.at(-1) ?? '';
    // Every frame after the first moves up over the one before it (all of the same height here).
    for (const frame of out.slice(1)) expect(frame.startsWith(`\x1b[${height}F\x1b[0J`)).toBe(true);
    expect(last).toContain('▶ intake');
    // Closing stops the timers: nothing more is written.
    const written = out.length;
    await new Promise((r) => setTimeout(r, 1_200));
    expect(out).toHaveLength(written);
  });

  it('prints readable lines for `events` without --follow', () => {
    const { out, write } = capture();
    const printer = createProgressPrinter({ json: false, write });
    for (const e of events) printer.onEvent(e);
    expect(out).toEqual(['run r1  "T"\n', '▶ intake       started (2 agents)\n']);
  });
});
