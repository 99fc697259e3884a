import t from 'tap';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

// Palisade keeps one nextTick object alive so that V8 never frees the tick
// objects' map (lib/context.ts, pinTickObjectMap): otherwise Node's nextTick
// can fall onto a slow path for the rest of the process. What it costs or
// saves is measured in bench/ (the tick probe); here, that the pin is a tick
// object and that tick objects made after full collections keep its map.

const ROOT = path.resolve(__dirname, '..', '..');

t.test('the pinned tick object keeps its map through full collections', async (t) => {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--allow-natives-syntax', '--require', 'palisade/register', path.join(ROOT, 'test', 'fixtures', 'tick', 'after-full-gcs.js')],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, PALISADE_LOG: 'stderr', PALISADE_MODE: 'monitor', PALISADE_CONTEXT_MODULE: path.join(ROOT, 'dist', 'lib', 'context.js') },
    },
  );
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim()) as { names: string[]; sameMap: boolean; freshNames: string[] };
  // Node 20 keys a tick object by these two symbols; Node 24 adds its async context frame.
  const TICK_KEYS = ['async_id_symbol', 'trigger_async_id_symbol'];
  t.same(out.names.slice(0, 2), TICK_KEYS, "the pin is one of Node's tick objects");
  t.same(out.freshNames, out.names, 'the fresh object is a tick object with the same keys');
  t.equal(out.sameMap, true, 'a tick object made after the collections has the pinned one’s map');
});
