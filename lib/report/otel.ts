import type { Attributes, Counter } from '@opentelemetry/api';

/**
 * OpenTelemetry through the API package only: without an SDK every call
 * below is a no-op, so Palisade costs nothing extra in apps without tracing.
 * The API is loaded at the first event, not at start-up (it adds ~6 MB of
 * RSS to every process); it finds an SDK the app registered through the
 * API's global, whenever either was loaded.
 */
type OtelApi = typeof import('@opentelemetry/api');
let api: OtelApi | undefined;
function otel(): OtelApi {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (api ??= require('@opentelemetry/api') as OtelApi);
}

let counter: Counter | undefined;

function events(): Counter {
  counter ??= otel().metrics.getMeter('palisade').createCounter('palisade.events', {
    description: 'Palisade security events by kind, action and operation',
  });
  return counter;
}

export interface SpanIds {
  traceId?: string;
  spanId?: string;
}

export function activeSpanIds(): SpanIds {
  const span = otel().trace.getActiveSpan();
  if (span === undefined) return {};
  const c = span.spanContext();
  return { traceId: c.traceId, spanId: c.spanId };
}

export function recordOtel(name: string, attrs: Attributes): void {
  const span = otel().trace.getActiveSpan();
  if (span !== undefined) {
    span.addEvent(name, attrs);
    span.setAttribute('palisade.action', String(attrs['palisade.action']));
    span.setAttribute('palisade.kind', String(attrs['palisade.kind']));
  }
  events().add(1, {
    kind: String(attrs['palisade.kind']),
    action: String(attrs['palisade.action']),
    operation: String(attrs['palisade.operation']),
  });
}
