import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { requestPath, type Scope } from '../context';
import { routeOf } from '../taint';
import { captureFrames, firstAppFrame, type Frame } from '../stack';
import type { Action, EventKind, Mode, Operation, TaintInput } from '../types';
import { activeSpanIds, recordOtel } from './otel';
import { RateLimiter } from './ratelimit';

/** The one event shape for every outcome; documented field by field in docs/events.md. */
export interface PalisadeEvent {
  schema: 'palisade.event/1';
  eventId: string;
  mode: Mode;
  action: Action | 'learn' | 'error';
  kind: EventKind;
  operation?: Operation['name'];
  module?: string;
  fn?: string;
  resource?: Record<string, unknown>;
  reason: string;
  rule?: string;
  scope?: string;
  input?: { source: string; value: string; decoding: readonly string[] };
  request?: { method?: string; path?: string; route?: string; ip?: string };
  untrustedScope?: string;
  frame?: Frame;
  package?: string;
  detail?: Record<string, unknown>;
  traceId?: string;
  spanId?: string;
  repeats?: number;
  dropped?: number;
}

export interface ReporterOptions {
  log: string;
  eventsPerSecond: number;
  trustProxy: boolean | number;
}

const MAX_VALUE = 256;
const MAX_RESOURCE_STRING = 1024;
const SECRET_SOURCES = new Set(['headers.authorization', 'headers.proxy-authorization', 'headers.x-api-key', 'headers.x-auth-token']);

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…(${s.length} chars)`;
}

function redactInput(input: TaintInput): { source: string; value: string; decoding: readonly string[] } {
  const secret = SECRET_SOURCES.has(input.source);
  return {
    source: input.source,
    value: secret ? `[redacted ${input.value.length} chars]` : truncate(input.value, MAX_VALUE),
    decoding: input.decoding,
  };
}

function resourceForEvent(op: Operation): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(op.resource)) {
    if (typeof v === 'string') out[k] = truncate(v, MAX_RESOURCE_STRING);
    else if (Array.isArray(v)) out[k] = v.slice(0, 32).map((x) => (typeof x === 'string' ? truncate(x, MAX_VALUE) : x));
    else if (v !== undefined) out[k] = v;
  }
  // The request URL may carry credentials in userinfo or the query; keep scheme, host and path.
  if (typeof out.url === 'string') out.url = stripUrlSecrets(out.url);
  return out;
}

function stripUrlSecrets(u: string): string {
  try {
    const url = new URL(u);
    url.username = '';
    url.password = '';
    const q = url.search.length > 0 ? '?…' : '';
    url.search = '';
    return url.toString() + q;
  } catch {
    return truncate(u, MAX_VALUE);
  }
}

export function clientIp(scope: Scope, trustProxy: boolean | number): string | undefined {
  const req = scope.request?.req;
  if (req === undefined) return undefined;
  const peer = req.socket?.remoteAddress;
  if (trustProxy === false || trustProxy === 0) return peer;
  const xff = req.headers['x-forwarded-for'];
  const header = Array.isArray(xff) ? xff.join(',') : xff;
  if (header === undefined || header === '') return peer;
  const hops = header.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (hops.length === 0) return peer;
  // trustProxy = N: the client is N hops in from the right; true: the leftmost entry.
  if (trustProxy === true) return hops[0];
  return hops[Math.max(0, hops.length - trustProxy)] ?? peer;
}

export interface EventInput {
  mode: Mode;
  action: PalisadeEvent['action'];
  kind: EventKind;
  op?: Operation;
  reason: string;
  input?: TaintInput;
  rule?: string;
  scope?: Scope;
  policyScope?: string;
  package?: string;
  frames?: Frame[];
  detail?: Record<string, unknown>;
}

export class Reporter {
  readonly logger: Logger;
  private readonly limiter: RateLimiter;
  private readonly trustProxy: boolean | number;

  constructor(o: ReporterOptions) {
    const dest =
      o.log === 'stdout' ? pino.destination({ dest: 1, sync: true }) :
      o.log === 'stderr' ? pino.destination({ dest: 2, sync: true }) :
      pino.destination({ dest: o.log, sync: true, mkdir: true });
    this.logger = pino({ name: 'palisade', base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, dest);
    this.limiter = new RateLimiter({ perSecond: o.eventsPerSecond });
    this.trustProxy = o.trustProxy;
  }

  /**
   * Emit one event (unless rate-limited). Returns the event id so the
   * blocked error can carry it; a suppressed duplicate still gets an id.
   */
  event(e: EventInput): string {
    const eventId = randomUUID();
    const frames = e.frames ?? captureFrames();
    const frame = firstAppFrame(frames);
    // Same attack from the same place: one line a minute. A different payload is a different event (the token bucket still bounds those),
    // and so is another caller: a package blocked on the app's line is not a repeat of the app's own block there.
    const key = `${e.kind}|${e.action}|${e.op?.name ?? ''}|${e.input?.source ?? ''}|${e.input?.value.slice(0, 64) ?? ''}|${e.rule ?? ''}|${e.package ?? ''}|${frame?.file ?? ''}:${frame?.line ?? 0}`;
    const admission = this.limiter.admit(key);
    if (!admission.emit) return eventId;

    const scope = e.scope;
    const request = scope?.request;
    const ev: PalisadeEvent = {
      schema: 'palisade.event/1',
      eventId,
      mode: e.mode,
      action: e.action,
      kind: e.kind,
      reason: e.reason,
    };
    if (e.op !== undefined) {
      ev.operation = e.op.name;
      ev.module = e.op.module;
      ev.fn = e.op.fn;
      ev.resource = resourceForEvent(e.op);
    }
    if (e.rule !== undefined) ev.rule = e.rule;
    if (e.policyScope !== undefined) ev.scope = e.policyScope;
    if (e.input !== undefined) ev.input = redactInput(e.input);
    if (request !== undefined && scope !== undefined) {
      const route = routeOf(scope);
      ev.request = { method: request.req.method, path: requestPath(request) };
      if (route !== undefined) ev.request.route = route;
      const ip = clientIp(scope, this.trustProxy);
      if (ip !== undefined) ev.request.ip = ip;
    } else if (scope?.label !== undefined) ev.untrustedScope = scope.label;
    if (frame !== undefined) ev.frame = frame;
    if (e.package !== undefined) ev.package = e.package;
    if (e.detail !== undefined) ev.detail = e.detail;
    const ids = activeSpanIds();
    if (ids.traceId !== undefined) {
      ev.traceId = ids.traceId;
      ev.spanId = ids.spanId;
    }
    if (admission.repeats > 0) ev.repeats = admission.repeats;
    if (admission.dropped > 0) ev.dropped = admission.dropped;

    const msg = `palisade ${ev.action} ${ev.kind}${ev.operation !== undefined ? ` in ${ev.operation}` : ''}: ${ev.reason}`;
    if (ev.action === 'error') this.logger.error(ev, msg);
    else this.logger.warn(ev, msg);
    recordOtel(`palisade.${ev.action}`, {
      'palisade.event_id': eventId,
      'palisade.action': ev.action,
      'palisade.kind': ev.kind,
      'palisade.operation': ev.operation ?? '',
      'palisade.rule': ev.rule ?? '',
      'palisade.input.source': ev.input?.source ?? '',
    });
    return eventId;
  }

  info(obj: Record<string, unknown>, msg: string): void {
    this.logger.info(obj, msg);
  }
}
