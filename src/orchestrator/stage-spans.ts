import { type TraceAttr as Attr, TraceAttr, withSpan } from '../core/trace.ts';
import type { StepRunner } from '../engine/steps.ts';

/**
 * A phase attempt's durable steps, each inside a `stage <key>` span: the span is active while the
 * stage runs, so tasks it enqueues, models it calls and tools it runs become its children. A step
 * replayed from its stored result still gets a (short) span, so a resumed phase shows every stage.
 */
export type StageSteps = Pick<StepRunner, 'step'>;

export function withStageSpans(
  steps: StepRunner,
  attributes: Partial<Record<(typeof Attr)[keyof typeof Attr], string | number>>,
): StageSteps {
  return {
    step: (key, fn, commit) =>
      withSpan(`stage ${key}`, { ...attributes, [TraceAttr.stage]: key }, () => steps.step(key, fn, commit)),
  };
}
