import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { PalisadeBlockedError } from './errors';

/**
 * Delivering a block in the convention of the API the app called, so the
 * app's own error handling sees an ordinary failure: a sync throw, a
 * callback error on a later tick, a rejected promise, or an 'error' event on
 * the object the API returns. Emitting 'error' with no listener would crash
 * the app, which Palisade never does: without a listener the block is still
 * logged, the call still never happens, and the emitter just ends.
 */

type Callback = (err: Error, ...rest: unknown[]) => void;

export function callbackLater(cb: Callback, err: PalisadeBlockedError, ...rest: unknown[]): void {
  process.nextTick(() => cb(err, ...rest));
}

export function rejected<T = never>(err: PalisadeBlockedError): Promise<T> {
  return Promise.reject(err);
}

/** Emit 'error' on a later tick if someone listens; then the given closing events. */
export function emitErrorLater(
  emitter: EventEmitter,
  err: PalisadeBlockedError,
  after: ReadonlyArray<readonly [string, ...unknown[]]> = [],
): void {
  process.nextTick(() => {
    if (emitter.listenerCount('error') > 0) emitter.emit('error', err);
    for (const [name, ...args] of after) emitter.emit(name, ...args);
  });
}

/** Readable that ends at once, for stdio of a process that never started. */
export function endedReadable(): PassThrough {
  const s = new PassThrough();
  s.end();
  return s;
}

/** Writable that accepts and drops writes, for stdin of a process that never started. */
export function sinkWritable(): PassThrough {
  const s = new PassThrough();
  s.resume();
  return s;
}
