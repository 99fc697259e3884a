import t from 'tap';
import * as path from 'node:path';
import { detectPathTraversal } from '../../lib/detectors/path';
import { APP, PUBLIC, UPLOADS, input } from './corpus/path';

/*
 * The path check against node:path itself, over generated names. An app
 * builds the path from a base and the input (path.join, path.resolve,
 * path.normalize, concatenation, a fixed name after it); node:path says
 * where it lands. Every name that lands outside the base must be caught.
 * The check sees only the path the app opened, so a name whose normal form
 * is nothing but climbs ('..', 'a/../..') leaves no trace of itself in a
 * joined path (path.join(uploads, '..', 'avatar.png') is just
 * /srv/app/data/avatar.png): those are counted and left out, a limit that
 * docs/detectors.md states.
 */

const WAYS: ReadonlyArray<[string, string, (x: string) => string]> = [
  ['path.join(public, x)', PUBLIC, (x) => path.join(PUBLIC, x)],
  ["public + '/' + x", PUBLIC, (x) => `${PUBLIC}/${x}`],
  ["'public/' + x (cwd /srv/app)", PUBLIC, (x) => `public/${x}`],
  ['path.resolve(public, x)', PUBLIC, (x) => path.resolve(PUBLIC, x)],
  ['path.normalize(public + x)', PUBLIC, (x) => path.normalize(`${PUBLIC}/${x}`)],
  ["path.join(public, 'img', x)", PUBLIC, (x) => path.join(PUBLIC, 'img', x)],
  ["path.join(uploads, x + '.json')", UPLOADS, (x) => path.join(UPLOADS, `${x}.json`)],
  ["uploads + '/user-' + x", UPLOADS, (x) => `${UPLOADS}/user-${x}`],
  ["path.join(uploads, x, 'avatar.png')", UPLOADS, (x) => path.join(UPLOADS, x, 'avatar.png')],
];

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
  let judged = 0;
  let climbsOnly = 0;
  const misses: string[] = [];
  for (const [how, base, build] of WAYS) {
    for (const before of BEFORE) {
      for (const climb of CLIMBS) {
        for (const between of BETWEEN) {
          for (const target of TARGETS) {
            for (const after of AFTER) {
              const x = before + climb + between + target + after;
              const rawPath = build(x);
              const abs = path.resolve(APP, rawPath);
              if (abs === base || abs.startsWith(`${base}/`)) continue;
              if (onlyClimbs(x)) {
                climbsOnly++;
                continue;
              }
              judged++;
              if (detectPathTraversal({ rawPath, path: abs, flags: 'r' }, [input('report', [], 'query.title'), input(x)]) === undefined) {
                misses.push(`${how} ← ${JSON.stringify(x)} opens ${abs}`);
              }
            }
          }
        }
      }
    }
  }
  t.comment(`${judged} (name, way) pairs land outside the base and were judged; ${climbsOnly} more were only climbs`);
  t.ok(judged > 30000, 'the generator reaches outside the base');
  t.same(misses.slice(0, 20), [], `${misses.length} missed`);
});

t.test('names that stay inside the base, spelled with the same parts, pass', async (t) => {
  // The generator's parts without a way out: climbs that come back in, dots inside names.
  const inside = ['a/..', 'a/b/../c.txt', '/report.txt', '//img/logo.png', 'x/./y/', '...', '..x', 'x..', 'a/../b/', './report.txt/'];
  for (const [how, base, build] of WAYS) {
    for (const x of inside) {
      const rawPath = build(x);
      const abs = path.resolve(APP, rawPath);
      if (!(abs === base || abs.startsWith(`${base}/`))) continue;
      const f = detectPathTraversal({ rawPath, path: abs, flags: 'r' }, [input(x)]);
      t.equal(f, undefined, f === undefined ? `${how} ← ${JSON.stringify(x)}` : `${how} ← ${JSON.stringify(x)}: false positive (${f.reason})`);
    }
  }
});
