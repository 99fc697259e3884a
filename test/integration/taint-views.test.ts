import t from 'tap';
import * as http from 'node:http';
import * as path from 'node:path';
import { start, untrusted } from '../../lib/index';
import { currentScope } from '../../lib/context';
import { CH_NONWORD } from '../../lib/taint/decode';
import { inputsOf, nonWordInputsOf } from '../../lib/taint';
import type { TaintInput } from '../../lib/types';
import { request, tmpDir } from '../helpers/app';

// The SQL check reads only the inputs that are not one word (nonWordInputsOf), which extraction
// sorts out as it goes. That view must be exactly inputsOf's non-word inputs, in the same order,
// whichever way the request's inputs were found: raw body tapped, framework body and params,
// static route segments left out, inputs of an untrusted() scope.
start({ mode: 'monitor', log: path.join(tmpDir(), 'events.log') });
// After start(), so express is loaded through the hooks.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const express = require('express') as typeof import('express');

const nonWord = (inputs: readonly TaintInput[]): string[] =>
  inputs.filter((i) => (i.chars! & CH_NONWORD) !== 0).map((i) => `${i.source}=${i.value}`);
const names = (inputs: readonly TaintInput[]): string[] => inputs.map((i) => `${i.source}=${i.value}`);

interface Views {
  expected: string[];
  actual: string[];
  all: number;
}

function views(): Views {
  const scope = currentScope()!;
  const all = inputsOf(scope);
  return { expected: nonWord(all), actual: names(nonWordInputsOf(scope)), all: all.length };
}

const BODY = JSON.stringify({ team: 'platform', email: 'a.b@example.com', tags: ['x-y', 'plain'], n: 19.99, enc: 'Li4vZXRj' });

t.test('plain http: the view follows the raw body as it arrives', async (t) => {
  const seen: Views[] = [];
  const server = http.createServer((req, res) => {
    seen.push(views()); // before the body: query, headers, cookies
    req.on('data', () => undefined);
    req.on('end', () => {
      seen.push(views()); // the tapped body is read again once it grew
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  await request(port, '/p/a-b/word?x=1&y=o%27r', { method: 'POST', headers: { 'content-type': 'application/json', cookie: 'sid=abc; theme=dark-mode' }, body: BODY });
  t.equal(seen.length, 2);
  for (const v of seen) t.same(v.actual, v.expected);
  t.ok(seen[1]!.all > seen[0]!.all, 'the body was extracted by the second look');
  t.ok(seen[1]!.actual.includes('body.email=a.b@example.com'), 'a body value with punctuation is in the view');
  t.ok(seen[1]!.actual.includes('body.enc=../etc'), 'so is a decoded form');
  t.notOk(seen[1]!.actual.includes('body.team=platform'), 'a word is not');
  t.ok(seen[0]!.actual.includes("query.y=o'r"), 'and the query is');
});

t.test('express: framework body and params, static route segments left out', async (t) => {
  const seen: Views[] = [];
  const app = express();
  app.post('/static-seg/:id/x-y', express.json(), (_req, res) => {
    seen.push(views());
    res.end();
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  await request(port, '/static-seg/a.b/x-y', { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
  t.equal(seen.length, 1);
  const v = seen[0]!;
  t.same(v.actual, v.expected);
  t.ok(v.actual.includes('params.id=a.b'), 'the route parameter is in the view');
  t.notOk(v.actual.some((s) => s === 'path[3]=x-y'), "the route's literal 'x-y' is not");
  t.ok(v.actual.includes('path=/static-seg/a.b/x-y'), 'the whole path is');
});

t.test('untrusted(): the fixed inputs have the same view', async (t) => {
  const v = untrusted('queue', { id: 'a-1', name: 'word', nested: { q: "x' OR 1=1" } }, views);
  t.same(v.actual, v.expected);
  t.same(v.actual, ['queue.id=a-1', "queue.nested.q=x' OR 1=1"]);
});
