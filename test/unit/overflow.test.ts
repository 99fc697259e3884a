import t from 'tap';
import { InputList, readWhole } from '../../lib/taint/sources';
import { flattenOverflow, overflowHits, type OverflowLeaves } from '../../lib/taint/overflow';

// What extraction's bounds leave out (lib/taint/overflow.ts): kept per part, dropped with its part, flattened to
// unique values with their names, and turned into inputs only where a sink's text holds them.

function fields(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) o[`k${i}`] = `v${i % 7}`;
  return { ...o, ...extra };
}

t.test('a request within the bounds has no overflow', async (t) => {
  const list = new InputList();
  list.addPart('body', fields(20, { deep: { a: { b: 'c' } } }));
  list.add('headers.x', 'y'.repeat(1000));
  t.equal(list.overflow, undefined);
});

t.test('a part past the inputs bound is kept whole, from where it began in the list', async (t) => {
  const list = new InputList();
  list.add('path', '/x');
  const body = fields(600, { name: "x' OR 1=1" });
  list.addPart('body', body);
  t.equal(list.overflow?.length, 1);
  t.match(list.overflow![0], { at: 1, name: 'body', value: body });
  // The body replaced (a parser ran later): cut back to before it, its overflow goes too.
  list.cutTo(1, 1, true);
  t.equal(list.overflow, undefined, 'dropped with its part');
});

t.test('depth and long values overflow; values outside a part overflow one by one', async (t) => {
  let deep: unknown = { name: 'x' };
  for (let i = 0; i < 10; i++) deep = { a: deep };
  const list = new InputList();
  list.addPart('body', deep);
  t.equal(list.overflow?.[0]?.name, 'body', 'too deep: the part');
  const long = new InputList();
  const v = 'a'.repeat(20_000) + "'";
  long.add('query.q', v);
  t.match(long.overflow, [{ name: 'query.q', value: v }], 'a long value, whole');
  t.equal(long.items[0]!.value.length, 16 * 1024, 'its prefix read as before');
  const full = new InputList();
  for (let i = 0; i < 600; i++) full.add(`headers.x-${i}`, `h${i}`);
  t.ok(full.overflow !== undefined && full.overflow.length >= 600 - 512, 'headers past the bound, each');
  t.match(full.overflow![full.overflow!.length - 1], { name: 'headers.x-599', value: 'h599' });
});

/** A leaf's name, as a hit reports it: read back through `overflowHits` with a text that is the value itself. */
function nameOfLeaf(leaves: OverflowLeaves, i: number): string {
  const one: OverflowLeaves = { values: [leaves.values[i]!], places: [leaves.places[i]!], isKey: leaves.isKey.subarray(i, i + 1), visited: 1 };
  return overflowHits(one, [leaves.values[i]!], (name) => [{ source: name, value: '', decoding: [] }])[0]!.source;
}

t.test('flattened once: unique values, keys included, each with the name of its first place', async (t) => {
  const leaves = flattenOverflow([{ at: 0, name: 'body', value: { items: [{ sku: 'A-1' }, { sku: 'A-1' }], n: 3 } }]);
  const named = leaves.values.map((v, i) => [v, nameOfLeaf(leaves, i)]);
  t.same(named.sort(), [
    ['3', 'body.n'],
    ['A-1', 'body.items[0].sku'],
    ['items', 'body.items:key'],
    ['n', 'body.n:key'],
    ['sku', 'body.items[0].sku:key'],
  ]);
});

t.test('a body with a cycle is walked once', async (t) => {
  const body: Record<string, unknown> = { name: "x' OR 1=1", list: [] };
  body.self = body;
  (body.list as unknown[]).push(body, { more: 'y' });
  const leaves = flattenOverflow([{ at: 0, name: 'body', value: body }]);
  t.same([...leaves.values].sort(), ['list', 'more', 'name', 'self', "x' OR 1=1", 'y']);
  // The root, its three values, the list's two items, the second's value; the body met again is not walked again.
  t.ok(leaves.visited <= 8, `${leaves.visited} nodes visited`);
});

t.test('only values a text holds become inputs, read whole', async (t) => {
  const long = 'b'.repeat(20_000) + "' OR 1=1";
  const leaves = flattenOverflow([{ at: 0, name: 'body', value: { a: 'nothere', b: long, c: "o'x" } }]);
  const hits = overflowHits(leaves, [`SELECT '${long}'`, "o'x"], readWhole);
  // The key 'b' occurs too: a held value is an input, however short; the detectors judge whether it matters.
  t.same(hits.map((h) => [h.source, h.value.length]).sort(), [['body.b', long.length], ['body.b:key', 1], ['body.c', 3]]);
  t.ok(hits.every((h) => h.chars !== undefined));
  t.same(overflowHits(leaves, ['SELECT 1'], readWhole), [], 'none held: none read');
});
