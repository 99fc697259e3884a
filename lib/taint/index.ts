import type { InputCache, Scope } from '../context';
import type { TaintInput } from '../types';
import { CH_NONWORD } from './decode';
import { baseList, rawBodyList, treeList } from './sources';

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
      cache.nonWord = fixed.filter((i) => i.chars === undefined || (i.chars & CH_NONWORD) !== 0);
    }
    return cache.nonWord!;
  }
  const cache = extracted(scope);
  if (cache === undefined) return EMPTY;
  // Joined on first use: a request whose sinks are all files or hosts never needs it.
  return (cache.nonWord ??= joined(cache.route, cache.base!.nonWord, cache.body?.nonWord, cache.params?.nonWord));
}

function extracted(scope: Scope): InputCache | undefined {
  const r = scope.request;
  if (r === undefined) return undefined;
  const cache = (scope.cache ??= {});
  let dirty = false;
  if (cache.base === undefined) {
    cache.base = baseList(r.req, r.url);
    dirty = true;
  }
  const body = frameworkBody(scope);
  if (body !== undefined && body !== null) {
    if (body !== cache.bodyRef) {
      cache.bodyRef = body;
      cache.body = treeList('body', body);
      dirty = true;
    }
  } else if (r.rawBody !== undefined && cache.rawBodyLen !== r.rawBodyBytes) {
    cache.rawBodyLen = r.rawBodyBytes;
    cache.body = rawBodyList(r);
    dirty = true;
  }
  const params = frameworkParams(scope);
  if (params !== cache.paramsRef) {
    cache.paramsRef = params;
    cache.params = params !== null && typeof params === 'object' ? treeList('params', params) : undefined;
    dirty = true;
  }
  const route = r.framework !== undefined || (r.req as { route?: unknown }).route !== undefined ? routeOf(scope) : undefined;
  if (route !== cache.route) {
    cache.route = route;
    dirty = true;
  }
  if (dirty || cache.all === undefined) {
    cache.all = joined(route, cache.base.items, cache.body?.items, cache.params?.items);
    cache.nonWord = undefined;
  }
  return cache;
}

function joined(route: string | undefined, base: TaintInput[], body: TaintInput[] | undefined, params: TaintInput[] | undefined): TaintInput[] {
  return (route === undefined ? base : withoutStaticSegments(base, route)).concat(body ?? EMPTY, params ?? EMPTY);
}

/**
 * A path segment that is literal in the matched route template ('ls' in
 * '/ls/:dir') was chosen by the app, not the client: every request to that
 * route has it. Only the variable segments stay taint (they are also
 * `params.*`).
 */
function withoutStaticSegments(inputs: readonly TaintInput[], route: string): TaintInput[] {
  const parts = route.split('/');
  return inputs.filter((i) => {
    if (!i.source.startsWith('path[')) return true;
    const idx = Number(i.source.slice(5, i.source.indexOf(']')));
    const part = parts[idx];
    return part === undefined || part !== i.value;
  });
}

/** The matched route template, when a framework knows it ('/users/:id'). */
export function routeOf(scope: Scope): string | undefined {
  const r = scope.request;
  if (r === undefined) return undefined;
  const h = r.framework?.holder;
  if (r.framework?.name === 'fastify') return h?.routeOptions?.url;
  if (r.framework?.name === 'koa') return typeof h?._matchedRoute === 'string' ? h._matchedRoute : undefined;
  const route = (r.req as { route?: { path?: unknown } }).route;
  if (route !== undefined && typeof route.path === 'string') {
    const base = (r.req as { baseUrl?: unknown }).baseUrl;
    return (typeof base === 'string' ? base : '') + route.path;
  }
  return undefined;
}
