import type { IncomingMessage } from 'node:http';
import type { RequestScope } from '../context';
import type { TaintInput } from '../types';
import { CHAR_CLASSES, CH_NONWORD, classify, formsOf, type DecodedForm } from './decode';

/**
 * Turning a request into taint inputs, each with its source path. Limits keep
 * a hostile request (10k query keys, a 1 MB header, a deeply nested body)
 * from making extraction itself the denial of service.
 */
const MAX_INPUTS = 512;
const MAX_DEPTH = 8;
const MAX_VALUE = 16 * 1024;
/** Shared by every input taken as sent (most of them): nothing is allocated for "no decoding". */
const AS_SENT: readonly string[] = Object.freeze([]);

/** What `add` works out from a value alone: its `classify` result and decoded forms (both immutable). */
interface Reading {
  readonly cls: number;
  readonly forms: readonly DecodedForm[];
}

/*
 * Readings of values that come back request after request: the keys of
 * parsed bodies and queries (an API's field names) and the values of the
 * headers that describe a client (user agent, content type, accept lists).
 * Reading one costs a pass over its characters and, for a word, a base64
 * trial decode; a hit costs one hash lookup. Body and query values are mostly
 * unique (names, emails, ids) and are read afresh, so that misses do not
 * churn the map; so are other headers, which may carry credentials
 * (authorization, API keys, a referer's query string) that must not outlive
 * their request here.
 * Bounded: cleared when full, so a client sending new keys each time costs
 * only its own misses.
 */
const REMEMBERED_HEADERS: ReadonlySet<string> = new Set([
  'host', 'user-agent', 'accept', 'accept-encoding', 'accept-language', 'content-type', 'connection', 'origin',
  'cache-control', 'pragma', 'dnt', 'upgrade-insecure-requests', 'x-requested-with', 'sec-ch-ua',
  'sec-ch-ua-mobile', 'sec-ch-ua-platform', 'sec-fetch-site', 'sec-fetch-mode', 'sec-fetch-dest', 'sec-fetch-user',
]);
const readings = new Map<string, Reading>();
const MAX_READINGS = 1024;
const MAX_READING_LEN = 256;

/** Test seam: whether `value`'s reading is remembered. */
export function __remembered(value: string): boolean {
  return readings.has(value);
}

/** The remembered reading of `value` (at most MAX_READING_LEN characters), read now if it is not yet. */
function rememberedReading(value: string): Reading {
  let r = readings.get(value);
  if (r === undefined) {
    const cls = classify(value);
    r = { cls, forms: formsOf(value, cls) };
    if (readings.size >= MAX_READINGS) readings.clear();
    readings.set(value, r);
  }
  return r;
}

/** Collector that adds each value and its decoded forms, within bounds. */
export class InputList {
  readonly items: TaintInput[] = [];
  /**
   * The items that are not one word (CH_NONWORD), in the same order: what the
   * SQL check reads (taint/index.ts, nonWordInputsOf). Collected here, while
   * each input is at hand, because filtering later reads every input object
   * again, at about the cost the filter saves.
   */
  readonly nonWord: TaintInput[] = [];

  /** `repeats`: a key, or the value of a client-describing header, whose reading is remembered across requests (`readings`). */
  add(source: string, raw: string, repeats = false): void {
    if (raw.length === 0 || this.items.length >= MAX_INPUTS) return;
    const value = raw.length > MAX_VALUE ? raw.slice(0, MAX_VALUE) : raw;
    let cls: number;
    let forms: readonly DecodedForm[];
    if (repeats && value.length <= MAX_READING_LEN) {
      const r = rememberedReading(value);
      cls = r.cls;
      forms = r.forms;
    } else {
      // Read in place: most values are read once, and need no object to carry the reading.
      cls = classify(value);
      forms = formsOf(value, cls);
    }
    const input: TaintInput = { source, value, decoding: AS_SENT, chars: cls & CHAR_CLASSES };
    this.items.push(input);
    if ((cls & CH_NONWORD) !== 0) this.nonWord.push(input);
    for (let i = 0; i < forms.length && this.items.length < MAX_INPUTS; i++) {
      const f = forms[i]!;
      const form: TaintInput = { source, value: f.value, decoding: f.decoding, chars: f.chars };
      this.items.push(form);
      if ((f.chars & CH_NONWORD) !== 0) this.nonWord.push(form);
    }
  }

  /** Values of parsed structures (JSON bodies, qs objects): keys are input too. */
  addTree(prefix: string, v: unknown, depth = 0): void {
    if (this.items.length >= MAX_INPUTS || depth > MAX_DEPTH) return;
    if (typeof v === 'string') this.add(prefix, v);
    else if (typeof v === 'number' || typeof v === 'bigint') this.add(prefix, String(v));
    else if (Array.isArray(v)) {
      for (let i = 0; i < v.length && this.items.length < MAX_INPUTS; i++) this.addTree(`${prefix}[${i}]`, v[i], depth + 1);
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      // Object.keys, not for-in: for-in was 12 % faster in a micro loop on Node 20, but in an app on
      // Node 24 it kept this function from being optimised (Maglev compiled and deoptimised it on every
      // few requests: "insufficient type feedback for generic keyed access").
      for (const k of Object.keys(v)) {
        if (this.items.length >= MAX_INPUTS) return;
        const src = prefix === '' ? k : `${prefix}.${k}`;
        if (k.length > 1) this.add(`${src}:key`, k, true);
        this.addTree(src, (v as Record<string, unknown>)[k], depth + 1);
      }
    } else if (Buffer.isBuffer(v) && v.length > 0) {
      this.add(prefix, v.toString('utf8', 0, Math.min(v.length, MAX_VALUE)));
    }
  }
}

/** Path, path segments, query, headers, cookies: what every request has. `url` is the URL as it arrived. */
export function baseInputs(req: IncomingMessage, url: string = req.url ?? '/'): TaintInput[] {
  return baseList(req, url).items;
}

export function baseList(req: IncomingMessage, url: string = req.url ?? '/'): InputList {
  const list = new InputList();
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  let path = rawPath;
  if (rawPath.indexOf('%') !== -1) {
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      /* keep raw */
    }
  }
  list.add('path', path);
  const segs = path.split('/');
  for (let i = 0; i < segs.length; i++) if (segs[i]!.length > 0 && segs.length > 2) list.add(`path[${i}]`, segs[i]!);

  // Express (qs) decorates req.query with nested objects; otherwise parse the query ourselves.
  // Without a '?' there is no query to read: express 5's req.query is a getter that parses
  // the URL on every read (~3 µs in an app under load), so it is not touched then.
  const parsedQuery = q === -1 ? undefined : (req as { query?: unknown }).query;
  if (parsedQuery !== null && typeof parsedQuery === 'object' && Object.keys(parsedQuery).length > 0) {
    list.addTree('query', parsedQuery);
  } else if (q !== -1) {
    for (const [k, v] of new URLSearchParams(url.slice(q + 1))) {
      if (k.length > 1) list.add(`query.${k}:key`, k, true);
      list.add(`query.${k}`, v);
    }
  }

  const h = req.headers;
  for (const name of Object.keys(h)) {
    if (name === 'cookie') continue;
    const v = h[name];
    const repeats = REMEMBERED_HEADERS.has(name);
    if (typeof v === 'string') list.add(`headers.${name}`, v, repeats);
    else if (Array.isArray(v)) for (const x of v) list.add(`headers.${name}`, x, repeats);
  }
  const cookie = h.cookie;
  if (typeof cookie === 'string') {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const name = part.slice(0, eq).trim();
      let value = part.slice(eq + 1).trim();
      if (value.length >= 2 && value[0] === '"' && value[value.length - 1] === '"') value = value.slice(1, -1);
      list.add(`cookies.${name}`, value);
    }
  }
  return list;
}

export function treeInputs(prefix: string, v: unknown): TaintInput[] {
  return treeList(prefix, v).items;
}

export function treeList(prefix: string, v: unknown): InputList {
  const list = new InputList();
  list.addTree(prefix, v);
  return list;
}

/** Parse the tapped raw body of a plain-http request by its content type. */
export function rawBodyList(scope: RequestScope): InputList {
  const list = new InputList();
  if (scope.rawBody === undefined || scope.rawBodyBytes === 0) return list;
  const text = Buffer.concat(scope.rawBody).toString('utf8');
  const type = String(scope.req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('json')) {
    try {
      list.addTree('body', JSON.parse(text) as unknown);
      return list;
    } catch {
      /* fall through: a truncated or invalid JSON body is still text */
    }
  }
  if (type.includes('x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(text)) {
      if (k.length > 1) list.add(`body.${k}:key`, k, true);
      list.add(`body.${k}`, v);
    }
    return list;
  }
  list.add('body', text);
  return list;
}
