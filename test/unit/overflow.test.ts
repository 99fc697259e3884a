import t from 'tap';
import type { IncomingMessage } from 'node:http';
import type { Scope } from '../../lib/context';
import { inputsOf, overflowInputsOf } from '../../lib/taint';
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
  t.match(list.overflow![0], { name: 'body', value: body });
  // The body replaced (a parser ran later): cut back to before it, its overflow goes too.
  list.cutTo(1, 1, true, 0);
  t.equal(list.overflow, undefined, 'dropped with its part');
});

t.test("cut back to a part's start, the earlier parts' overflow stays, wherever the inputs bound left the items", async (t) => {
  const list = new InputList();
  for (let i = 0; i < 600; i++) list.add(`headers.x-${i}`, `h${i}`);
  const items = list.items.length;
  const nonWord = list.nonWord.length;
  const base = list.overflowCount;
  t.ok(base > 0, 'headers past the bound');
  list.addPart('body', { name: "x' OR 1=1" });
  t.equal(list.items.length, items, 'the body added no items: the bound was reached');
  t.equal(list.overflowCount, base + 1, 'the body kept whole');
  list.cutTo(items, nonWord, true, base);
  t.equal(list.overflowCount, base, "the body's overflow dropped, the headers' kept");
});

t.test('a part that appears after the first sink call is looked for at the next', async (t) => {
  const headers: Record<string, string> = {};
  for (let i = 0; i < 600; i++) headers[`x-${i}`] = `h${i}`;
  const req = { url: '/x', method: 'POST', headers } as unknown as IncomingMessage;
  const scope: Scope = { request: { req, res: undefined as never, url: '/x', headers, rawBodyBytes: 0, rawBodyTruncated: false } };
  inputsOf(scope);
  t.same(overflowInputsOf(scope, ['h599'], false).map((i) => i.source), ['headers.x-599']);
  t.same(overflowInputsOf(scope, ['h599'], true), [], 'for the SQL check, a word is passed over as within the bounds');
  // A body parser ran after the first judged call: the body is read at the next, and so is its overflow.
  (req as unknown as { body: unknown }).body = { name: "x' OR 1=1" };
  inputsOf(scope);
  t.same(overflowInputsOf(scope, ["SELECT 'x' OR 1=1'"], false).map((i) => i.source).filter((s) => s === 'body.name'), ['body.name']);
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
  const leaves = flattenOverflow([{ name: 'body', value: { items: [{ sku: 'A-1' }, { sku: 'A-1' }], n: 3 } }]);
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
  const leaves = flattenOverflow([{ name: 'body', value: body }]);
  t.same([...leaves.values].sort(), ['list', 'more', 'name', 'self', "x' OR 1=1", 'y']);
  // The root, its three values, the list's two items, the second's value; the body met again is not walked again.
  t.ok(leaves.visited <= 8, `${leaves.visited} nodes visited`);
});

t.test('only values a text holds become inputs, read whole', async (t) => {
  const long = 'b'.repeat(20_000) + "' OR 1=1";
  const leaves = flattenOverflow([{ name: 'body', value: { a: 'nothere', b: long, c: "o'x" } }]);
  const hits = overflowHits(leaves, [`SELECT '${long}'`, "o'x"], readWhole);
  // The key 'b' occurs too: a held value is an input, however short; the detectors judge whether it matters.
  t.same(hits.map((h) => [h.source, h.value.length]).sort(), [['body.b', long.length], ['body.b:key', 1], ['body.c', 3]]);
  t.ok(hits.every((h) => h.chars !== undefined));
  t.same(overflowHits(leaves, ['SELECT 1'], readWhole), [], 'none held: none read');
});

t.test("a GraphQL document's string arguments and a JSON text's fields are leaves too", async (t) => {
  const leaves = flattenOverflow([
    { name: 'body', value: { query: 'query { users(name: "x\' OR 1=1") }', data: '{"inner":"y"}' } },
    { name: 'query.query', value: '{ users(name: "z") }' },
  ]);
  const named = new Map(leaves.values.map((v, i) => [v, nameOfLeaf(leaves, i)]));
  t.equal(named.get("x' OR 1=1"), 'body.query.name');
  t.equal(named.get('z'), 'query.query.name');
  t.equal(named.get('y'), 'body.data.inner');
});
