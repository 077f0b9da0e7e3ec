/**
 * The OpenTelemetry SDK and its exporters: loaded (by `startTelemetry`) only
 * when a setting asks for traces, so a cold start without telemetry pays nothing.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { TelemetryChoice } from './telemetrySettings.js';

/**
 * Registers the tracer provider, the W3C propagator and an AsyncLocalStorage
 * context manager (so `noteHttpResponse` finds the span of the call it is in).
 *
 * Every span is recorded: the host's traceparent may carry the "not sampled"
 * flag (its own sampling is separate), and a parent-based sampler would then
 * drop the attempt. Ingestion-side sampling stays available in App Insights.
 */
export function installTracing(
  exporters: { exporter: SpanExporter; batch: boolean }[],
  options: { serviceName: string },
): BasicTracerProvider {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    sampler: new AlwaysOnSampler(),
    spanProcessors: exporters.map(({ exporter, batch }) =>
      batch ? new BatchSpanProcessor(exporter) : new SimpleSpanProcessor(exporter),
    ),
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return provider;
}

async function azureMonitorExporter(
  choice: Extract<TelemetryChoice, { kind: 'azureMonitor' }>,
): Promise<SpanExporter> {
  const { AzureMonitorTraceExporter } = await import('@azure/monitor-opentelemetry-exporter');
  if (!choice.entraAuth)
    return new AzureMonitorTraceExporter({ connectionString: choice.connectionString });
  // Entra auth (the component has local auth disabled): the function's managed identity,
  // named by the same APPLICATIONINSIGHTS_AUTHENTICATION_STRING the Functions host reads.
  const { ManagedIdentityCredential } = await import('@azure/identity');
  const credential = choice.entraAuth.clientId
    ? new ManagedIdentityCredential({ clientId: choice.entraAuth.clientId })
    : new ManagedIdentityCredential();
  return new AzureMonitorTraceExporter({ connectionString: choice.connectionString, credential });
}

async function exporterFor(choice: TelemetryChoice): Promise<SpanExporter> {
  switch (choice.kind) {
    case 'azureMonitor':
      return azureMonitorExporter(choice);
    case 'otlp': {
      // OTLP/HTTP with JSON; the exporter reads OTEL_EXPORTER_OTLP_HEADERS itself.
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter(choice.url ? { url: choice.url } : {});
    }
    case 'console':
      return new ConsoleSpanExporter();
  }
}

/** Builds the chosen exporters and installs tracing: network exporters batch, the console prints at once. */
export async function installExporters(
  choices: TelemetryChoice[],
  serviceName: string,
): Promise<BasicTracerProvider> {
  const exporters = await Promise.all(
    choices.map(async (choice) => ({
      exporter: await exporterFor(choice),
      batch: choice.kind !== 'console',
    })),
  );
  return installTracing(exporters, { serviceName });
}
