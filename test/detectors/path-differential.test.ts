import t from 'tap';
import * as path from 'node:path';
import { climbFinding, detectPathTraversal, pathClimb } from '../../lib/detectors/path';
import { APP, PUBLIC, UPLOADS, input } from './corpus/path';

/*
 * The path check against node:path itself, over generated names. An app
 * builds the path from a base and the input (path.join, path.resolve,
 * path.normalize, concatenation, a fixed name after it); node:path says
 * where it lands. Every name that lands outside the base must be caught.
 * A name whose normal form is nothing but climbs ('..', 'a/../..') leaves no
 * trace of itself in a path that node:path collapsed (path.join(uploads, '..',
 * 'avatar.png') is just /srv/app/data/avatar.png): for those the fs check
 * relies on what the node:path hook found while the input was still an
 * argument (pathClimb), and that is judged here the same way.
 */

type PathFn = 'join' | 'resolve' | 'normalize';
interface Way {
  how: string;
  base: string;
  build: (x: string) => string;
  /** The node:path call that builds it, for the path hook's part. */
  call?: [PathFn, (x: string) => string[]];
}

const WAYS: readonly Way[] = [
  { how: 'path.join(public, x)', base: PUBLIC, build: (x) => path.join(PUBLIC, x), call: ['join', (x) => [PUBLIC, x]] },
  { how: "public + '/' + x", base: PUBLIC, build: (x) => `${PUBLIC}/${x}` },
  { how: "'public/' + x (cwd /srv/app)", base: PUBLIC, build: (x) => `public/${x}` },
  { how: 'path.resolve(public, x)', base: PUBLIC, build: (x) => path.resolve(PUBLIC, x), call: ['resolve', (x) => [PUBLIC, x]] },
  { how: 'path.normalize(public + x)', base: PUBLIC, build: (x) => path.normalize(`${PUBLIC}/${x}`), call: ['normalize', (x) => [`${PUBLIC}/${x}`]] },
  { how: "path.join(public, 'img', x)", base: PUBLIC, build: (x) => path.join(PUBLIC, 'img', x), call: ['join', (x) => [PUBLIC, 'img', x]] },
  { how: "path.join(uploads, x + '.json')", base: UPLOADS, build: (x) => path.join(UPLOADS, `${x}.json`), call: ['join', (x) => [UPLOADS, `${x}.json`]] },
  { how: "uploads + '/user-' + x", base: UPLOADS, build: (x) => `${UPLOADS}/user-${x}` },
  { how: "path.join(uploads, x, 'avatar.png')", base: UPLOADS, build: (x) => path.join(UPLOADS, x, 'avatar.png'), call: ['join', (x) => [UPLOADS, x, 'avatar.png']] },
];

const PATH_FNS: Readonly<Record<PathFn, (...parts: string[]) => string>> = { join: path.join, resolve: path.resolve, normalize: path.normalize };

/** What the fs check finds for `x` built by `way`: with the climbs the node:path hook would have kept. */
function judged(way: Way, x: string, rawPath: string, abs: string): boolean {
  const inputs = [input('report', [], 'query.title'), input(x)];
  const resource = { rawPath, path: abs, flags: 'r' };
  if (detectPathTraversal(resource, inputs) !== undefined) return true;
  if (way.call === undefined) return false;
  const [fn, args] = way.call;
  const parts = args(x);
  const climb = pathClimb(fn, PATH_FNS[fn], parts, PATH_FNS[fn](...parts), inputs);
  return climb !== undefined && climbFinding(resource, [climb]) !== undefined;
}

const BEFORE = ['', './', 'a/', 'a/b/', './/', 'x/../', '/', '//', '/./'];
const CLIMBS = ['..', '../..', '../../..', '../../../..', '..//..', '../.././..', './../..', '.../..', '..././..', 'a/../../..'];
const BETWEEN = ['/', '//', '/./'];
const TARGETS = ['secret.txt', 'config/db.json', 'srv/other/x', 'data', 'public2/x', 'publicx', '.', '..', ''];
const AFTER = ['', '/', '//', '/.'];

/** Is the normal form of `x`, read as path.join reads a later argument, nothing but climbs? */
function onlyClimbs(x: string): boolean {
  const n = path.posix.normalize(x.replace(/^\/+/, '') || '.');
  return /^(\.\.)(\/\.\.)*\/?$/.test(n) || n === '.' || n === './';
}

t.test('every generated name that node:path lands outside the base is caught', async (t) => {
  let judgedPairs = 0;
  let climbsOnly = 0;
  const misses: string[] = [];
  for (const way of WAYS) {
    for (const before of BEFORE) {
      for (const climb of CLIMBS) {
        for (const between of BETWEEN) {
          for (const target of TARGETS) {
            for (const after of AFTER) {
              const x = before + climb + between + target + after;
              const rawPath = way.build(x);
              const abs = path.resolve(APP, rawPath);
              if (abs === way.base || abs.startsWith(`${way.base}/`)) continue;
              judgedPairs++;
              if (onlyClimbs(x)) climbsOnly++;
              if (!judged(way, x, rawPath, abs)) misses.push(`${way.how} ← ${JSON.stringify(x)} opens ${abs}`);
            }
          }
        }
      }
    }
  }
  t.comment(`${judgedPairs} (name, way) pairs land outside the base and were judged; ${climbsOnly} of them through the node:path hook's climbs`);
  t.ok(judgedPairs > 60000 && climbsOnly > 20000, 'the generator reaches outside the base, also with names made only of climbs');
  t.same(misses.slice(0, 20), [], `${misses.length} missed`);
});

t.test('without the node:path hook, names made only of climbs leave no trace in a collapsed path', async (t) => {
  // What the hook is for: the fs check alone misses these (and must not guess: the path has no trace of the input).
  for (const [x, parts] of [['..', [UPLOADS, '..', 'avatar.png']], ['../..', [PUBLIC, '../..']], ['a/../..', [UPLOADS, 'a/../..']]] as const) {
    const rawPath = path.join(...parts);
    const resource = { rawPath, path: rawPath, flags: 'w' };
    t.equal(detectPathTraversal(resource, [input(x)]), undefined, `fs check alone: ${JSON.stringify(x)} → ${rawPath}`);
    const climb = pathClimb('join', path.join, parts, rawPath, [input(x)]);
    t.match(climbFinding(resource, climb === undefined ? [] : [climb]), { kind: 'path_traversal', detail: { rule: 'dot-dot', via: 'path.join' } }, `with the hook's climb: ${JSON.stringify(x)}`);
  }
});

t.test('a climb is kept only when the input took the call out of the base the app chose', async (t) => {
  const v = [input('..')];
  t.equal(pathClimb('join', path.join, ['..', 'x'], path.join('..', 'x'), v), undefined, 'the input starts the path: no base to leave');
  t.equal(pathClimb('join', path.join, [UPLOADS, '../uploads', 'a'], path.join(UPLOADS, '../uploads', 'a'), [input('../uploads')]), undefined, 'climbs and comes back in');
  t.equal(pathClimb('join', path.join, [UPLOADS, '..', 'x'], path.join(UPLOADS, '..', 'x'), [input('...')]), undefined, 'no input holds the climb');
  t.equal(pathClimb('join', path.join, [`${UPLOADS}/../shared`, 'a..b'], path.join(`${UPLOADS}/../shared`, 'a..b'), [input('a..b')]), undefined, 'the app climbs on its own');
  const c = pathClimb('resolve', path.resolve, [UPLOADS, 'u1', '../..'], path.resolve(UPLOADS, 'u1', '../..'), [input('../..')]);
  t.match(c, { base: `${UPLOADS}/u1`, to: APP + '/data', via: 'path.resolve' });
  const later = { rawPath: `${APP}/data/export.csv`, path: `${APP}/data/export.csv`, flags: 'r' };
  t.ok(climbFinding(later, [c!]), 'a path under where the climb landed, outside the base, is the climb');
  t.equal(climbFinding({ ...later, rawPath: `${UPLOADS}/u1/x`, path: `${UPLOADS}/u1/x` }, [c!]), undefined, 'a path inside the base is not');
  t.equal(climbFinding({ ...later, rawPath: '/srv/other', path: '/srv/other' }, [c!]), undefined, 'nor one elsewhere');
});

t.test('names that stay inside the base, spelled with the same parts, pass', async (t) => {
  // The generator's parts without a way out: climbs that come back in, dots inside names.
  const inside = ['a/..', 'a/b/../c.txt', '/report.txt', '//img/logo.png', 'x/./y/', '...', '..x', 'x..', 'a/../b/', './report.txt/'];
  for (const way of WAYS) {
    const how = way.how;
    for (const x of inside) {
      const rawPath = way.build(x);
      const abs = path.resolve(APP, rawPath);
      if (!(abs === way.base || abs.startsWith(`${way.base}/`))) continue;
      const f = detectPathTraversal({ rawPath, path: abs, flags: 'r' }, [input(x)]);
      t.equal(f, undefined, f === undefined ? `${how} ← ${JSON.stringify(x)}` : `${how} ← ${JSON.stringify(x)}: false positive (${f.reason})`);
      if (way.call !== undefined) {
        const [fn, args] = way.call;
        const parts = args(x);
        t.equal(pathClimb(fn, PATH_FNS[fn], parts, PATH_FNS[fn](...parts), [input(x)]), undefined, `${how} ← ${JSON.stringify(x)}: no climb kept`);
      }
    }
  }
});
