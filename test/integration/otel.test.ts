import t from 'tap';
import * as cp from 'node:child_process';
import * as path from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { start, untrusted } from '../../lib/index';
import { readEvents, tmpDir } from '../helpers/app';

// With an SDK present, events become span events with attributes, and the
// event line carries the trace and span ids.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);
const log = path.join(tmpDir(), 'events.log');
start({ mode: 'block', log });

t.test('span event, attributes and ids', async (t) => {
  const tracer = trace.getTracer('test');
  let ids: { traceId: string; spanId: string } | undefined;
  tracer.startActiveSpan('request', (span) => {
    ids = { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
    try {
      untrusted('query', { dir: '.;id' }, () => cp.execSync('ls .;id'));
    } catch {
      /* blocked */
    }
    span.end();
  });
  const [span] = exporter.getFinishedSpans();
  t.ok(span);
  const ev = span!.events.find((e) => e.name === 'palisade.block');
  t.ok(ev, 'span event palisade.block');
  t.match(ev!.attributes, { 'palisade.kind': 'command_injection', 'palisade.operation': 'process.spawn', 'palisade.input.source': 'query.dir' });
  t.match(span!.attributes, { 'palisade.action': 'block', 'palisade.kind': 'command_injection' });
  const line = readEvents(log).find((e) => e.kind === 'command_injection');
  t.match(line, { traceId: ids!.traceId, spanId: ids!.spanId });
});
