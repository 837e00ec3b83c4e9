import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/**
 * The OpenTelemetry SDK for this process: spans (created through src/core/trace.ts) exported over
 * OTLP/HTTP with JSON bodies to `<endpoint>/v1/traces`. Off unless an endpoint is configured
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, read by src/config). The W3C propagator turns the active span
 * into the `traceparent` stored with each task, and back in the worker that claims it.
 *
 * One SDK per process, shared by every runtime the process opens: `startTracing` counts its
 * callers and the last `stop` flushes and shuts it down.
 */

export interface TracingOptions {
  /** The OTLP base URL, e.g. `http://127.0.0.1:4318`; spans go to `<endpoint>/v1/traces`. */
  endpoint: string;
  /** `service.name`; default `ideamine`. */
  serviceName?: string;
  /** `service.instance.id`: which process emitted a span (the runtime's owner id). */
  instanceId?: string;
}

export interface Tracing {
  /** Exports the spans ended so far. */
  flush(): Promise<void>;
  /** Flushes; the last caller also shuts the SDK down and unregisters it. */
  stop(): Promise<void>;
}

let shared: { provider: TracerProvider; endpoint: string; users: number } | undefined;

export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

export function startTracing(options: TracingOptions): Tracing {
  if (!shared) {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({
        'service.name': options.serviceName ?? 'ideamine',
        'process.pid': process.pid,
        ...(options.instanceId ? { 'service.instance.id': options.instanceId } : {}),
      }),
      spanProcessors: [
        // Batches of up to 512 spans, sent every second: a run makes a few hundred spans per phase
        // at most, and a process that exits flushes in `stop`.
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: tracesUrl(options.endpoint) }),
          scheduledDelayMillis: 1_000,
        }),
      ],
    });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    shared = { provider, endpoint: options.endpoint, users: 0 };
  }
  const current = shared;
  current.users++;
  let stopped = false;
  return {
    flush: () => current.provider.forceFlush(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      current.users--;
      await current.provider.forceFlush();
      if (current.users > 0 || shared !== current) return;
      shared = undefined;
      await current.provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
