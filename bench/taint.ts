import type { IncomingMessage } from 'node:http';
import type { Scope } from '../lib/context';
import { inputsOf } from '../lib/taint';
import { decodedForms } from '../lib/taint/decode';
import { flattenOverflow, overflowHits } from '../lib/taint/overflow';
import { baseInputs, InputList, readWhole, treeInputs } from '../lib/taint/sources';
import { fmt, nsPerCall, type BenchResult, runStandalone } from './lib';

/**
 * What one request costs the taint layer, paid once per request on its first
 * judged sink call: extracting path, query, headers and cookies of a browser
 * request, the 25 fields of a JSON body, and each value's decoded forms.
 */

const HEADERS: Record<string, string> = {
  host: 'shop.example.com',
  connection: 'keep-alive',
  'content-length': '612',
  'sec-ch-ua': '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"',
  'content-type': 'application/json',
  'sec-ch-ua-mobile': '?0',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'sec-ch-ua-platform': '"Linux"',
  accept: 'application/json, text/plain, */*',
  origin: 'https://shop.example.com',
  'sec-fetch-site': 'same-origin',
  'sec-fetch-mode': 'cors',
  'sec-fetch-dest': 'empty',
  referer: 'https://shop.example.com/checkout?step=2',
  'accept-encoding': 'gzip, deflate, br, zstd',
  'accept-language': 'en-GB,en;q=0.9,de;q=0.8',
  cookie: 'sid=s%3AQm9iIHNheXMgaGk.4fJ2kLx9; theme=dark; _ga=GA1.1.123456789.1700000000',
};

export const ORDER = {
  email: 'alice.smith@example.com', status: 'active', team: 'platform', currency: 'EUR', firstName: 'Alice', lastName: 'Smith', phone: '+44 20 7946 0958',
  address: { street: '221B Baker Street', city: 'London', postcode: 'NW1 6XE', country: 'GB' },
  items: [{ sku: 'SKU-10021', qty: 2, price: 19.99 }, { sku: 'SKU-20417', qty: 1, price: 5.5 }],
  coupon: 'SPRING24', notes: 'Leave at the door, please', locale: 'en-GB', timezone: 'Europe/London', campaign: 'spring-sale',
  referrer: 'https://example.com/blog/post-1', sessionId: '3f2b9c1e-8d7a-4b6f-9e21-0c5d7a8b9f10', deliveryDate: '2026-12-03',
};

function fakeRequest(): IncomingMessage {
  // Only what the extractors read; a fresh object per call, as each request is.
  return { url: '/api/orders?ref=newsletter&page=2', method: 'POST', headers: HEADERS, body: ORDER } as unknown as IncomingMessage;
}

export async function run(): Promise<BenchResult> {
  const rows: Array<Record<string, string | number>> = [];
  let sink = 0;
  const time = (name: string, fn: () => number, iterations: number): void => {
    const ns = nsPerCall(() => {
      sink += fn();
    }, iterations, 9);
    rows.push({ step: name, 'µs/request (median)': fmt(ns / 1000, 2) });
  };
  time('baseInputs: path, query, 16 headers, 3 cookies', () => baseInputs(fakeRequest()).length, 20_000);
  time('treeInputs: 25-field JSON body', () => treeInputs('body', ORDER).length, 20_000);
  time('inputsOf: first call of a request (all of the above)', () => {
    const req = fakeRequest();
    const scope: Scope = { request: { req, res: undefined as never, url: req.url ?? '/', headers: req.headers, rawBodyBytes: 0, rawBodyTruncated: false } };
    return inputsOf(scope).length;
  }, 20_000);
  {
    const req = fakeRequest();
    const scope: Scope = { request: { req, res: undefined as never, url: req.url ?? '/', headers: req.headers, rawBodyBytes: 0, rawBodyTruncated: false } };
    const n = inputsOf(scope).length;
    time(`inputsOf: later calls in the same request (cached, ${n} inputs)`, () => inputsOf(scope).length, 200_000);
  }
  const values = ['alice.smith@example.com', 'platform', 'Leave at the door, please', '3f2b9c1e-8d7a-4b6f-9e21-0c5d7a8b9f10', 'https://example.com/blog/post-1', 'SPRING24'];
  time(`decodedForms: ${values.length} plain values`, () => {
    let n = 0;
    for (const v of values) n += decodedForms(v).length;
    return n;
  }, 50_000);
  // Past extraction's bounds (lib/taint/overflow.ts): a body of distinct fields, as padding that evades dedup is.
  // Paid only by a request past them: the flattening once per request, the search at each judged sink call.
  const query = "SELECT id, name, email FROM customers WHERE team = 'x' OR 1=1' AND region = 'emea' ORDER BY created_at DESC LIMIT 50";
  for (const n of [600, 5000]) {
    const padded: Record<string, string> = {};
    for (let i = 0; i < n; i++) padded[`field${i}`] = `value-${i}-${(i * 7919) % 10007}`;
    padded.name = "x' OR 1=1";
    const json = JSON.stringify(padded);
    const body = JSON.parse(json) as unknown;
    const kb = Math.round(json.length / 1024);
    const list = new InputList();
    list.addPart('body', body);
    const overflow = list.overflow ?? [];
    time(`past the bounds, ${n} fields (${kb} KB): the app's own JSON.parse of the body, for scale`, () => (JSON.parse(json) as object) === body ? 0 : 1, n < 1000 ? 2_000 : 200);
    time(`past the bounds, ${n} fields: the overflow flattened (once a request)`, () => flattenOverflow(overflow).values.length, n < 1000 ? 2_000 : 200);
    const leaves = flattenOverflow(overflow);
    time(`past the bounds, ${n} fields: a sink call's search of it (a 110-character query)`, () => overflowHits(leaves, [query], readWhole).length, n < 1000 ? 20_000 : 2_000);
  }
  if (sink < 0) rows.push({ step: 'unreachable', 'µs/request (median)': sink });
  return { name: 'Taint extraction per request (micro)', rows, notes: ['Median over 9 rounds; a fresh request object per call except for the cached row.'] };
}

if (require.main === module) runStandalone(run);
