/**
 * The preload: `node --require palisade/register app.js` (CommonJS) or
 * `node --import palisade/register app.mjs` (ESM). Configuration comes from
 * PALISADE_* environment variables (docs/configuration.md). Neither a bad
 * value nor a fault while loading Palisade itself stops the app, unless
 * PALISADE_FAIL=closed.
 */
import { isMainThread, workerData } from 'node:worker_threads';

// Node runs --require preloads in its module-loader thread too (when any
// --import/--loader hook is active). No app code runs there; starting would
// only duplicate the startup line. App worker threads are still protected.
const loaderThread =
  !isMainThread && workerData !== null && typeof workerData === 'object' && 'commsPort' in workerData && 'lock' in workerData;

try {
  if (!loaderThread) {
    // Loaded inside the try: a fault anywhere in Palisade's module graph must not take the app down.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./index') as typeof import('./index')).start();
  }
} catch (err) {
  const closed = (process.env.PALISADE_FAIL ?? '').trim().toLowerCase() === 'closed';
  process.stderr.write(`palisade: not started: ${err instanceof Error ? err.message : String(err)}${closed ? '' : ' (the app runs unprotected: PALISADE_FAIL=open)'}\n`);
  if (closed) process.exit(78);
}
