import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * Span helpers on the OpenTelemetry API alone. Every layer may create spans through these; they cost
 * next to nothing until `startTracing` (observability/tracing.ts) registers an SDK, because the API's
 * default tracer and propagator are no-ops. Spans carry ids and figures, never prompts or secrets.
 */

/** Attribute names shared by every IdeaMine span (one place, so a query over traces can rely on them). */
export const TraceAttr = {
  runId: 'ideamine.run_id',
  phase: 'ideamine.phase',
  generation: 'ideamine.phase.generation',
  stage: 'ideamine.stage',
  gateAttempt: 'ideamine.gate_attempt',
  taskId: 'ideamine.task_id',
  taskType: 'ideamine.task.type',
  taskAttempt: 'ideamine.task.attempt',
  agent: 'ideamine.agent',
  /** `tool_id@version`. */
  tool: 'ideamine.tool',
  outcome: 'ideamine.outcome',
  costUsd: 'ideamine.cost_usd',
} as const;

const TRACER = 'ideamine';

/** A W3C trace-context carrier (`traceparent`, maybe `tracestate`), as stored with a task. */
export type TraceCarrier = Record<string, string>;

/**
 * Runs `fn` inside a new span that is the active span for everything `fn` awaits; the span ends when
 * `fn` settles, with an error status if it threw.
 */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: { parent?: Context; kind?: SpanKind } = {},
): Promise<T> {
  const parent = options.parent ?? context.active();
  return trace
    .getTracer(TRACER)
    .startActiveSpan(name, { attributes, kind: options.kind ?? SpanKind.INTERNAL }, parent, async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
        throw error;
      } finally {
        span.end();
      }
    });
}

/** The active span's context as a carrier, or null when nothing is traced (no SDK, or no active span). */
export function currentTraceCarrier(): TraceCarrier | null {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier['traceparent'] ? carrier : null;
}

/** The context a stored carrier describes: spans started in it continue that trace (in any process). */
export function contextFromCarrier(carrier: TraceCarrier | null | undefined): Context {
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

function errorMessage(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

export { SpanKind };
