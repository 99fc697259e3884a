/**
 * The preload: `node --require palisade/register app.js` (CommonJS) or
 * `node --import palisade/register app.mjs` (ESM). Configuration comes from
 * PALISADE_* environment variables (docs/configuration.md). A bad value
 * never stops the app unless PALISADE_FAIL=closed.
 */
import { start } from './index';

try {
  start();
} catch (err) {
  const closed = (process.env.PALISADE_FAIL ?? '').trim().toLowerCase() === 'closed';
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  if (closed) process.exit(78);
}
