import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TaintInput } from './types';

/**
 * The untrusted scope a sink call runs in: an HTTP request, or a scope the
 * app opened with `untrusted()` (a queue message, a CLI argument, an LLM
 * tool call). Everything expensive is lazy: inputs are extracted on the first
 * sink call that needs them, then cached here.
 */
export interface Scope {
  /** Request facts for events; absent for non-HTTP scopes. */
  request?: RequestScope;
  /** Fixed inputs of a non-HTTP scope (already flattened with their sources). */
  fixedInputs?: TaintInput[];
  /** Label of a non-HTTP scope, for events ("queue:orders"). */
  label?: string;
  /** Cached extraction; see taint/index.ts. */
  cache?: InputCache;
}

/** Framework objects seen for this request; read at sink time (bodies are parsed after the request starts). */
export interface FrameworkRefs {
  name: 'express' | 'fastify' | 'koa';
  /** fastify request / koa ctx; express decorates the raw req itself. */
  holder?: { body?: unknown; params?: unknown; request?: { body?: unknown }; routeOptions?: { url?: string }; _matchedRoute?: unknown };
}

export interface RequestScope {
  req: IncomingMessage;
  res: ServerResponse;
  /** Bounded passive copy of the raw body for plain-http apps. */
  rawBody?: Buffer[];
  rawBodyBytes: number;
  rawBodyTruncated: boolean;
  framework?: FrameworkRefs;
}

export interface InputCache {
  base?: TaintInput[];
  bodyRef?: unknown;
  body?: TaintInput[];
  paramsRef?: unknown;
  params?: TaintInput[];
  rawBodyLen?: number;
  route?: string;
  all?: TaintInput[];
}

export const storage = new AsyncLocalStorage<Scope>();

export function currentScope(): Scope | undefined {
  return storage.getStore();
}

export function runInScope<T>(scope: Scope, fn: () => T): T {
  return storage.run(scope, fn);
}
