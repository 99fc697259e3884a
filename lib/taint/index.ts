import type { InputCache, RequestScope, Scope } from '../context';
import type { TaintInput } from '../types';
import { CH_NONWORD } from './decode';
import { flattenOverflow, overflowHits } from './overflow';
import { addBodyText, baseList, hasSegments, rawBodyList, readWhole } from './sources';

const EMPTY: readonly TaintInput[] = [];

function frameworkBody(scope: Scope): unknown {
  const r = scope.request;
  if (r === undefined) return undefined;
  const h = r.framework?.holder;
  if (h !== undefined) {
    if (r.framework!.name === 'koa') return h.request?.body;
    return h.body;
  }
  return (r.req as { body?: unknown }).body;
}

function frameworkParams(scope: Scope): unknown {
  const r = scope.request;
  if (r === undefined) return undefined;
  const h = r.framework?.holder;
  return h !== undefined ? h.params : (r.req as { params?: unknown }).params;
}

/**
 * All taint inputs of the current scope. Extraction happens on the first sink
 * call that needs it and is cached; the framework-parsed body and params are
 * re-read only when the framework replaced them (express sets req.params per
 * route, body parsers run after the request started).
 */
export function inputsOf(scope: Scope): readonly TaintInput[] {
  if (scope.fixedInputs !== undefined) return scope.fixedInputs;
  return extracted(scope)?.all ?? EMPTY;
}

/**
 * `inputsOf` without the inputs that extraction classed as one word (ASCII
 * letters, digits and '_' only), for detectors to which a word cannot matter
 * (it cannot change an SQL query's tokens). A request's inputs are mostly
 * words (JSON keys, names, codes); extraction sorts them as it goes, so no
 * sink call passes over them.
 */
export function nonWordInputsOf(scope: Scope): readonly TaintInput[] {
  const fixed = scope.fixedInputs;
  if (fixed !== undefined) {
    const cache = (scope.cache ??= {});
    if (cache.nonWordOf !== fixed) {
      cache.nonWordOf = fixed;
      cache.nonWord = fixed.filter(notOneWord);
    }
    return cache.nonWord!;
  }
  return extracted(scope)?.nonWord ?? EMPTY;
}

/** Whether extraction's bounds left anything of the request out: a sink call then looks for it (`overflowInputsOf`). */
export function hasOverflow(scope: Scope): boolean {
  return scope.cache?.list?.overflow !== undefined;
}

/**
 * The inputs a sink call holds among what extraction's bounds left out of the request (lib/taint/overflow.ts):
 * values of `texts` (the sink's query, path, command, URL or source) only. Call after `inputsOf`, which reads the
 * request. A request within the bounds costs a field read.
 */
export function overflowInputsOf(scope: Scope, texts: readonly string[], nonWordOnly: boolean): readonly TaintInput[] {
  const parts = scope.cache?.list?.overflow;
  if (parts === undefined) return EMPTY;
  const cache = scope.cache!;
  // The list only appends to its overflow, or replaces it when cut back: the array and its length tell its content.
  if (cache.overflowOf !== parts || cache.overflowLength !== parts.length) {
    cache.overflowOf = parts;
    cache.overflowLength = parts.length;
    cache.overflowLeaves = flattenOverflow(parts);
  }
  const hits = overflowHits(cache.overflowLeaves!, texts, readWhole);
  return nonWordOnly ? hits.filter(notOneWord) : hits;
}

/** Not classed as one word by extraction (or not classed at all): what `nonWordInputsOf` keeps. */
function notOneWord(i: TaintInput): boolean {
  return i.chars === undefined || (i.chars & CH_NONWORD) !== 0;
}

/*
 * One list per request: the base inputs (path, query, headers, cookies), then
 * the body's, then the params'. Each part is added when it appears; when the
 * framework replaces one (express sets req.params per route, body parsers run
 * after the request started), the list is cut back to where that part began
 * and extended again. Detectors read the list itself: joining the parts into
 * a new array on every request cost ~2–3 µs of main thread in an app under
 * load (session 12's profile), several times its micro cost.
 */
function extracted(scope: Scope): InputCache | undefined {
  const r = scope.request;
  if (r === undefined) return undefined;
  const cache = (scope.cache ??= {});
  const body = frameworkBody(scope);
  const parsed = body !== undefined && body !== null;
  // A plain-http body is read from the tapped bytes while no framework has parsed one.
  const rawLen = !parsed && r.rawBody !== undefined ? r.rawBodyBytes : undefined;
  const params = frameworkParams(scope);
  // The route only tells which of the path's segments are literal; a path without segments of its own does not read
  // it (on Node 20 each property read late from an express request is a stub-cache miss: lib/context.ts, headers).
  const route = (cache.segmented ??= segmented(r.url)) ? routeOfRequest(r) : undefined;
  let list = cache.list;
  // Whether `list`'s arrays were handed out (by an earlier call for this request): they are copied before they change.
  let handedOut = list !== undefined;
  if (list === undefined || route !== cache.route) {
    list = baseList(r.req, r.url, route, undefined, r.headers);
    cache.list = list;
    cache.route = route;
    cache.baseEnd = list.items.length;
    cache.baseNonWord = list.nonWord.length;
    cache.baseOverflow = list.overflowCount;
    cache.bodyEnd = undefined;
    handedOut = false;
  }
  if (cache.bodyEnd === undefined || body !== cache.bodyRef || rawLen !== cache.rawBodyLen) {
    list.cutTo(cache.baseEnd!, cache.baseNonWord!, handedOut, cache.baseOverflow!);
    handedOut = false;
    // A framework's text body (no parser took it) is read as the tapped raw body is: by its type and its look.
    if (typeof body === 'string') addBodyText(list, body, r.headers['content-type']);
    else if (parsed) list.addPart('body', body);
    else if (rawLen !== undefined) rawBodyList(r, list);
    cache.bodyRef = body;
    cache.rawBodyLen = rawLen;
    cache.bodyEnd = list.items.length;
    cache.bodyNonWord = list.nonWord.length;
    cache.bodyOverflow = list.overflowCount;
    cache.paramsRef = NOT_READ;
  }
  if (params !== cache.paramsRef) {
    list.cutTo(cache.bodyEnd, cache.bodyNonWord!, handedOut, cache.bodyOverflow!);
    if (params !== null && typeof params === 'object') list.addPart('params', params);
    cache.paramsRef = params;
  }
  cache.all = list.items;
  cache.nonWord = list.nonWord;
  return cache;
}

/** A `paramsRef` no params object can equal: the params are read again. */
const NOT_READ = Symbol('not read');

/**
 * May the path of `url` have segments that are inputs of their own (`hasSegments`, which baseList asks of the
 * decoded path): as it arrived, or once a '%' in it is decoded to a '/'.
 */
function segmented(url: string): boolean {
  const q = url.indexOf('?');
  const end = q === -1 ? url.length : q;
  if (hasSegments(url, end)) return true;
  const pct = url.indexOf('%');
  return pct !== -1 && pct < end;
}

/** The matched route template, when a framework knows it ('/users/:id'). */
export function routeOf(scope: Scope): string | undefined {
  const r = scope.request;
  return r === undefined ? undefined : routeOfRequest(r);
}

// Each property of an express request is a megamorphic load (every request object has a hidden class of its
// own), and extraction asks at every sink call: `req.route` is read once, and `req.baseUrl` only under a route.
function routeOfRequest(r: RequestScope): string | undefined {
  const fw = r.framework;
  if (fw !== undefined) {
    const h = fw.holder;
    if (fw.name === 'fastify') return h?.routeOptions?.url;
    if (fw.name === 'koa') return typeof h?._matchedRoute === 'string' ? h._matchedRoute : undefined;
  }
  const route = (r.req as { route?: { path?: unknown } }).route;
  if (route !== undefined && route !== null && typeof route.path === 'string') {
    const base = (r.req as { baseUrl?: unknown }).baseUrl;
    return (typeof base === 'string' ? base : '') + route.path;
  }
  return undefined;
}
