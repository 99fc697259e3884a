import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { __remembered, __sourceNodes, baseInputs, InputList, treeInputs } from '../../lib/taint/sources';
import { charsOf, decodedForms } from '../../lib/taint/decode';
import type { TaintInput } from '../../lib/types';

// Keys and header values are read once and remembered across requests (sources.ts, `readings` and
// SourceNode), and source names are interned: every later request must get exactly what a fresh
// reading gives, decoded forms and names included.

const semicolonB64 = Buffer.from("'; rm -rf /").toString('base64');
const traversalB64 = Buffer.from('../../etc/passwd').toString('base64');

function request(headers: Record<string, string>, url = '/x'): IncomingMessage {
  return { url, headers } as unknown as IncomingMessage;
}

/** What extraction must give for one value: the value as sent, then each decoded form. */
function expected(source: string, value: string): Array<Pick<TaintInput, 'source' | 'value' | 'decoding' | 'chars'>> {
  return [
    { source, value, decoding: [], chars: charsOf(value) },
    ...decodedForms(value).map((f) => ({ source, value: f.value, decoding: f.decoding, chars: f.chars })),
  ];
}

function pick(inputs: readonly TaintInput[], source: string): Array<Pick<TaintInput, 'source' | 'value' | 'decoding' | 'chars'>> {
  return inputs.filter((i) => i.source === source).map((i) => ({ source: i.source, value: i.value, decoding: [...i.decoding], chars: i.chars }));
}

t.test('a remembered key reads as a fresh one, decoded forms included', async (t) => {
  const body = { [traversalB64]: 1, 'a%27b': 'v', plain: 'x' };
  for (let round = 0; round < 3; round++) {
    const inputs = treeInputs('body', body);
    t.same(pick(inputs, `body.${traversalB64}:key`), expected(`body.${traversalB64}:key`, traversalB64), `base64 key, round ${round}`);
    t.same(pick(inputs, 'body.a%27b:key'), expected('body.a%27b:key', 'a%27b'), `url-encoded key, round ${round}`);
    t.ok(pick(inputs, `body.${traversalB64}:key`).some((i) => i.value === '../../etc/passwd'), 'the decoded form is there');
  }
});

t.test('a remembered header value reads as a fresh one, in every request', async (t) => {
  for (let round = 0; round < 3; round++) {
    const inputs = baseInputs(request({ accept: semicolonB64, 'user-agent': 'curl/8.5.0', 'x-token': traversalB64 }));
    t.same(pick(inputs, 'headers.accept'), expected('headers.accept', semicolonB64), `round ${round}`);
    t.ok(inputs.some((i) => i.source === 'headers.accept' && i.value === "'; rm -rf /" && i.decoding.join() === 'base64'));
    t.same(pick(inputs, 'headers.user-agent'), expected('headers.user-agent', 'curl/8.5.0'));
    t.same(pick(inputs, 'headers.x-token'), expected('headers.x-token', traversalB64), 'a header not remembered reads the same');
  }
  t.ok(__remembered(semicolonB64) && __remembered('curl/8.5.0'), 'client-describing headers are remembered');
});

t.test('credentials are not kept beyond their request', async (t) => {
  const token = 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
  const reset = 'https://shop.example/reset?token=9f8e7d6c5b4a';
  const inputs = baseInputs(request({ authorization: token, 'x-api-key': 'sk_live_51H8abc', cookie: 'sid=s3cr3t', referer: reset }));
  t.ok(inputs.some((i) => i.source === 'headers.authorization' && i.value === token), 'still an input');
  t.notOk(__remembered(token), 'authorization is read afresh, not kept');
  t.notOk(__remembered('sk_live_51H8abc'), 'nor another header that may hold a key');
  t.notOk(__remembered('s3cr3t'), 'nor a cookie');
  t.notOk(__remembered(reset), "nor a referer, whose query string may hold a token");
  t.same(pick(inputs, 'headers.referer'), expected('headers.referer', reset), 'which is still read in full');
});

t.test('the memory is bounded: after many new keys, old ones still read right', async (t) => {
  for (let i = 0; i < 3000; i++) treeInputs('body', { [`k${i}%2F`]: 1 });
  const inputs = treeInputs('body', { [traversalB64]: 1 });
  t.same(pick(inputs, `body.${traversalB64}:key`), expected(`body.${traversalB64}:key`, traversalB64));
  const long = 'A'.repeat(300) + '%27';
  const again = treeInputs('body', { [long]: 1 });
  t.same(pick(again, `body.${long}:key`), expected(`body.${long}:key`, long), 'a key too long to remember is read afresh');
});

t.test('interned source names are the names the inputs had, in every request', async (t) => {
  const body = { items: [{ sku: 'SKU-1' }, { sku: 'a/../b' }], address: { city: 'London' }, x: 'y' };
  const want = [
    'body.items:key', 'body.items[0].sku:key', 'body.items[0].sku', 'body.items[1].sku:key', 'body.items[1].sku',
    'body.address:key', 'body.address.city:key', 'body.address.city', 'body.x',
  ];
  for (let round = 0; round < 3; round++) {
    const inputs = treeInputs('body', body);
    t.same([...new Set(inputs.map((i) => i.source))], want, `round ${round}`);
    t.same(pick(inputs, 'body.items[1].sku'), expected('body.items[1].sku', 'a/../b'));
    const base = baseInputs(request({ cookie: 'sid=abc' }, '/a/b%2Fc?q=1&page=2'));
    t.same([...new Set(base.map((i) => i.source))], ['path', 'path[1]', 'path[2]', 'path[3]', 'query.q', 'query.page:key', 'query.page', 'cookies.sid']);
  }
  const other = treeInputs('queue.orders', { id: 'o-1' });
  t.same(other.map((i) => i.source), ['queue.orders.id:key', 'queue.orders.id'], 'another label is named as before');
});

t.test('a remembered header whose value changes reads the new value', async (t) => {
  const values = ['curl/8.5.0', semicolonB64, 'curl/8.5.0', traversalB64, traversalB64];
  for (const ua of values) {
    const inputs = baseInputs(request({ 'user-agent': ua }));
    t.same(pick(inputs, 'headers.user-agent'), expected('headers.user-agent', ua), ua);
  }
});

t.test('the interned names are bounded', async (t) => {
  for (let i = 0; i < 6000; i++) treeInputs('body', { [`field${i}`]: { [`inner${i}`]: 1 } });
  t.ok(__sourceNodes() <= 2048, `at most 2048 names kept (${__sourceNodes()})`);
  t.ok(__sourceNodes() > 0, 'and names are kept');
  const long = 'k'.repeat(300);
  const inputs = treeInputs('body', { [long]: { a: 'v' } });
  t.same(pick(inputs, `body.${long}.a`), expected(`body.${long}.a`, 'v'), 'a name too long to keep is still built');
});

t.test("an untrusted() scope's tree is not interned, whatever its label", async (t) => {
  const before = __sourceNodes();
  for (let i = 0; i < 50; i++) {
    const list = new InputList();
    list.addTree('query', { [`message${i}`]: 'v' });
    list.addTree('queue.orders', { [`id${i}`]: 'v' });
    t.same(list.items.map((x) => x.source), [`query.message${i}:key`, `query.message${i}`, `queue.orders.id${i}:key`, `queue.orders.id${i}`]);
  }
  t.equal(__sourceNodes(), before, 'no name was kept');
});

t.test('each value keeps its own name when a getter deletes a later property while the tree is read', async (t) => {
  const tree = {
    get a(): string {
      delete (this as { b?: string }).b;
      return 'first';
    },
    b: 'second',
    c: 'third',
  };
  const values = treeInputs('msg', tree).filter((i) => !i.source.endsWith(':key')).map((i) => `${i.source}=${i.value}`);
  t.same(values, ['msg.a=first', 'msg.c=third']);
});

t.test('path segments are inputs exactly where the path splits into more than two parts', async (t) => {
  // baseList looks for a second '/' before it splits (most API paths have one segment): the same segments as
  // a split of every path would give.
  for (const path of ['/order', '/', '', 'x', '/a/', '//x', '/a/b', '/a//b/', 'http://h/a', '/a/b%2Fc']) {
    const decoded = decodeURIComponent(path);
    const parts = decoded.split('/');
    const want = parts.length > 2 ? parts.flatMap((s, i) => (s.length > 0 ? [`path[${i}]=${s}`] : [])) : [];
    const got = baseInputs(request({}, path)).filter((i) => i.source.startsWith('path[')).map((i) => `${i.source}=${i.value}`);
    t.same(got, want, JSON.stringify(path));
  }
});
