import t from 'tap';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Scope } from '../../lib/context';
import { inputsOf, nonWordInputsOf } from '../../lib/taint/index';

// A request's inputs are one list, extended as its parts appear and cut back
// when the framework replaces one (taint/index.ts, `extracted`). Each sink
// call must see exactly the request as it is then, and a list handed out
// earlier must not change under its holder.

interface FakeReq {
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  params?: unknown;
  route?: { path: string };
  baseUrl?: string;
}

function scopeOf(req: FakeReq): Scope {
  return {
    request: { req: req as unknown as IncomingMessage, res: {} as ServerResponse, url: req.url, headers: req.headers, rawBody: undefined, rawBodyBytes: 0, rawBodyTruncated: false, framework: undefined },
  };
}

const sources = (scope: Scope): string[] => inputsOf(scope).map((i) => `${i.source}=${i.value}`);

t.test('a body parsed after the first sink call is added once, after the base inputs', async (t) => {
  const req: FakeReq = { url: '/order?x=1', headers: { 'user-agent': 'ua/1' } };
  const scope = scopeOf(req);
  const before = inputsOf(scope);
  t.same(sources(scope), ['path=/order', 'query.x=1', 'headers.user-agent=ua/1']);
  req.body = { team: "x' OR 1=1" };
  t.same(sources(scope), ['path=/order', 'query.x=1', 'headers.user-agent=ua/1', 'body.team:key=team', "body.team=x' OR 1=1"]);
  t.same(before.length, 3, 'the list handed out before is unchanged');
  t.ok(nonWordInputsOf(scope).some((i) => i.value === "x' OR 1=1"), 'and the non-word list has the body value');
  req.body = { other: 'y/z' };
  t.same(sources(scope).slice(3), ['body.other:key=other', 'body.other=y/z'], 'a replaced body replaces its inputs');
  t.notOk(nonWordInputsOf(scope).some((i) => i.value === "x' OR 1=1"), 'in the non-word list too');
});

t.test('params replaced under the same route replace their inputs', async (t) => {
  const req: FakeReq = { url: '/a', headers: {}, body: { b: 'v' }, params: { id: '7;ls' } };
  const scope = scopeOf(req);
  t.same(sources(scope), ['path=/a', 'body.b=v', 'params.id:key=id', 'params.id=7;ls']);
  const held = nonWordInputsOf(scope);
  req.params = { id: '8' };
  t.same(sources(scope), ['path=/a', 'body.b=v', 'params.id:key=id', 'params.id=8']);
  t.ok(held.some((i) => i.value === '7;ls'), 'the non-word list handed out before is unchanged');
  t.notOk(nonWordInputsOf(scope).some((i) => i.value === '7;ls'), 'the new one has not the old params');
});

t.test("a route's literal segments are not inputs; a route matched later rebuilds the list", async (t) => {
  const req: FakeReq = { url: '/ls/..%2Fetc', headers: {}, params: {} };
  const scope = scopeOf(req);
  t.same(sources(scope), ['path=/ls/../etc', 'path[1]=ls', 'path[2]=..', 'path[3]=etc'], 'before a route matched, every segment');
  req.route = { path: '/ls/:dir' };
  req.baseUrl = '';
  req.params = { dir: '../etc' };
  t.same(sources(scope), ['path=/ls/../etc', 'path[2]=..', 'path[3]=etc', 'params.dir:key=dir', 'params.dir=../etc'], "then 'ls' is the app's");
});

t.test("the headers the scope took when it opened are read, not the request's property again", async (t) => {
  // An express request on Node 20 has a hidden class of its own, so reading `req.headers` at a sink call missed
  // every inline cache (lib/context.ts, RequestScope.headers); the scope holds the object Node built instead.
  let reads = 0;
  const taken = { 'x-dir': '../etc', 'user-agent': 'ua/1' };
  const req = {
    url: '/a',
    get headers(): Record<string, string> {
      reads++;
      return { 'x-other': 'not the scope one' };
    },
  };
  const scope: Scope = {
    request: { req: req as unknown as IncomingMessage, res: {} as ServerResponse, url: req.url, headers: taken, rawBody: undefined, rawBodyBytes: 0, rawBodyTruncated: false, framework: undefined },
  };
  t.same(sources(scope), ['path=/a', 'headers.x-dir=../etc', 'headers.user-agent=ua/1']);
  t.equal(reads, 0, 'req.headers is not read');
  taken['x-added'] = 'v;w';
  (scope.request!.req as unknown as { body: unknown }).body = { b: 'v' };
  t.same(sources(scope).slice(0, 3), ['path=/a', 'headers.x-dir=../etc', 'headers.user-agent=ua/1'], 'the base inputs stay as extracted');
  t.equal(reads, 0, 'nor when the body appears');
});

t.test('the route is read only for a path with segments of its own', async (t) => {
  // It decides which segments are literal (the test above); a one-segment path has none to decide on.
  const probe = (url: string): { reads: number; scope: Scope } => {
    const state = { reads: 0, scope: undefined as unknown as Scope };
    const req = {
      url,
      headers: {},
      get route(): { path: string } {
        state.reads++;
        return { path: '/:p' };
      },
      baseUrl: '',
    };
    state.scope = scopeOf(req as unknown as FakeReq);
    return state;
  };
  for (const url of ['/order', '/order?next=/a/b', '/', '/order/']) {
    const p = probe(url);
    inputsOf(p.scope);
    inputsOf(p.scope);
    t.equal(p.reads, url === '/order/' ? 2 : 0, `${url}: ${p.reads} reads`);
  }
  for (const url of ['/ls/x', '/ls%2Fx', '//x']) {
    const p = probe(url);
    inputsOf(p.scope);
    t.ok(p.reads > 0, `${url}: read`);
  }
  // '%2F' decodes to a '/': its segments are judged against the route as any other's.
  const p = probe('/ls%2F..');
  t.same(sources(p.scope).filter((s) => s.startsWith('path[')), ['path[1]=ls', 'path[2]=..']);
});
