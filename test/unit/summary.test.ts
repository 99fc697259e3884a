import t from 'tap';
import type { IncomingMessage } from 'node:http';
import type { Scope } from '../../lib/context';
import { inputsOf } from '../../lib/taint';
import { baseInputs, treeInputs } from '../../lib/taint/sources';
import { inputSummary, lengthOf, mayContain, mayOccurIn, payloadMask } from '../../lib/taint/summary';
import type { TaintInput } from '../../lib/types';

// The summary built during extraction must be exactly what summarising the values afresh gives:
// a stale or shifted entry would make a detector skip an input it should read.
function fresh(inputs: readonly TaintInput[]): Int32Array {
  return inputSummary(inputs.slice());
}

function request(url: string, headers: Record<string, string>): IncomingMessage {
  return { url, headers, method: 'POST' } as unknown as IncomingMessage;
}

const headers = {
  host: '127.0.0.1:8080',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0',
  'x-token': Buffer.from('; cat /etc/passwd').toString('base64'),
  cookie: 'sid=s%3Aabc.def; theme="dark"; next=..%2F..%2Fetc',
  'accept-language': 'fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5',
};
const body = {
  email: 'ünïcödé@example.com',
  nested: { path: '../../../etc/passwd', encoded: '%2e%2e%2f', list: ['a', 'b\\u0027c', 42, { deep: '&lt;x&gt;' }] },
  'key with spaces': 'v',
};

t.test('summaries made during extraction match the values', async (t) => {
  const base = baseInputs(request('/ls/tmp%2Fx?q=1&name=..%2Fsecret&q=2', headers));
  t.same(inputSummary(base), fresh(base), 'path, query, headers, cookies and decoded forms');
  const tree = treeInputs('body', body);
  t.same(inputSummary(tree), fresh(tree), 'nested body, keys, numbers and decoded forms');
  t.ok(base.length > 10 && tree.length > 10);
});

t.test('the joined summary of a request (with a route dropping static segments) matches its values', async (t) => {
  const req = Object.assign(request('/ls/docs/report.txt?x=%3Bid', headers), { body, params: { dir: 'docs' }, route: { path: '/ls/:dir/report.txt' }, baseUrl: '' });
  const scope: Scope = { request: { req, res: {} as never, rawBodyBytes: 0, rawBodyTruncated: false } };
  const all = inputsOf(scope);
  t.notOk(all.some((i) => i.source.startsWith('path[') && (i.value === 'ls' || i.value === 'report.txt')), 'static segments dropped');
  t.ok(all.some((i) => i.source === 'path[2]' && i.value === 'docs'), 'the variable segment stays');
  t.same(inputSummary(all), fresh(all));
});

t.test('the character test never rules out an input that occurs, or contains the payload', async (t) => {
  const tree = treeInputs('body', body);
  const sum = inputSummary(tree);
  let checked = 0;
  for (let i = 0; i < tree.length; i++) {
    const v = tree[i]!.value;
    for (const payload of [`SELECT * FROM t WHERE x = '${v}'`, `/srv/app/${v}`, v, v.slice(1, -1)]) {
      if (payload.length === 0) continue;
      const p = payloadMask(payload);
      if (payload.includes(v)) t.ok(mayOccurIn(sum, i, p), `${JSON.stringify(v)} may occur in ${JSON.stringify(payload)}`);
      if (v.length > payload.length && v.includes(payload)) t.ok(mayContain(sum, i, p), `${JSON.stringify(v)} may contain ${JSON.stringify(payload)}`);
      checked++;
    }
    t.equal(lengthOf(sum, i), v.length);
  }
  t.ok(checked > 40);
  const p = payloadMask('/srv/app/public/report.txt');
  t.notOk(mayOccurIn(sum, tree.findIndex((i) => i.value === '&lt;x&gt;'), p), 'an input with characters the payload lacks is ruled out');
});
