import { metrics, trace, type Counter, type Attributes } from '@opentelemetry/api';

/**
 * OpenTelemetry through the API package only: without an SDK every call
 * below is a no-op, so Palisade costs nothing extra in apps without tracing.
 */
let counter: Counter | undefined;

function events(): Counter {
  counter ??= metrics.getMeter('palisade').createCounter('palisade.events', {
    description: 'Palisade security events by kind, action and operation',
  });
  return counter;
}

export interface SpanIds {
  traceId?: string;
  spanId?: string;
}

export function activeSpanIds(): SpanIds {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const c = span.spanContext();
  return { traceId: c.traceId, spanId: c.spanId };
}

export function recordOtel(name: string, attrs: Attributes): void {
  const span = trace.getActiveSpan();
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
