import t from 'tap';
import * as http from 'node:http';
import * as path from 'node:path';
import express from 'express';
import { start } from '../../lib/index';
import { graphqlStrings } from '../../lib/taint/sources';
import { readEvents, request, tmpDir } from '../helpers/app';
import { listenAll, tracedTable } from '../helpers/traced-sqlite';

// GraphQL over HTTP: a string argument written into the document (`user(name: "…")`) reaches the resolver as a
// value of its own, where the request's input is the whole document. Its string literals are inputs too
// (lib/taint/sources.ts, graphqlStrings). Real graphql-js over express, both transports (a JSON body's `query`,
// the URL's `?query=`); a real SQLite file whose trace proves what ran.
const dir = tmpDir();
const log = path.join(dir, 'events.log');
start({ mode: 'block', log });
const { trace, count, verdict, close } = tracedTable(dir, 'pal_graphql');
t.teardown(close);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildSchema, graphql } = require('graphql') as typeof import('graphql');
const schema = buildSchema('type Query { users(name: String!, note: String): Int }');
const rootValue = { users: ({ name }: { name: string }) => count(name) };

async function run(source: string, variableValues: Record<string, unknown> | undefined, res: express.Response): Promise<void> {
  const result = await graphql({ schema, source, rootValue, variableValues });
  const blocked = result.errors?.some((e) => (e.originalError as { code?: string } | undefined)?.code === 'ERR_PALISADE_BLOCKED');
  res.status(blocked === true ? 403 : result.errors !== undefined ? 500 : 200).end(blocked === true ? 'blocked' : String(result.data?.users));
}
const app = express();
app.use(express.json());
app.post('/graphql', (req, res) => void run(String(req.body.query), req.body.variables as Record<string, unknown> | undefined, res));
app.get('/graphql', (req, res) => void run(String(req.query.query), undefined, res));
const server = http.createServer(app);
t.before(() => listenAll(t, server));

const ATTACK = "x' OR 'a'='a";
const doc = (name: string): string => `query Q {\n  # the user's name\n  users(note: """a\nnote""", name: ${JSON.stringify(name)})\n}`;
const cases: Array<{ name: string; query: string; get?: boolean; variables?: Record<string, unknown>; blocked: boolean; count?: string }> = [
  { name: 'an argument written into the document, injection', query: doc(ATTACK), blocked: true },
  { name: 'the same by GET', query: doc(ATTACK), get: true, blocked: true },
  { name: 'an argument with escapes in the document, injection', query: doc(ATTACK).replace("x'", 'x\\u0027'), blocked: true },
  { name: 'an argument written into the document, benign', query: doc('alice'), blocked: false, count: '1' },
  { name: "a benign name with SQL's doubled quote", query: doc("o''brien"), blocked: false, count: '1' },
  { name: 'a variable, injection', query: 'query Q($n: String!) { users(name: $n) }', variables: { n: ATTACK }, blocked: true },
];

t.test('string arguments of a GraphQL document are inputs', async (t) => {
  const port = (server.address() as { port: number }).port;
  for (const c of cases) {
    trace.length = 0;
    const r = c.get === true
      ? await request(port, `/graphql?query=${encodeURIComponent(c.query)}`)
      : await request(port, '/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: c.query, variables: c.variables }),
      });
    verdict(t, r, c, ATTACK);
  }
});

t.test('the events name the argument', async (t) => {
  const inputs = readEvents(log).filter((e) => e.kind === 'sql_injection').map((e) => e.input as { source: string; decoding: string[] });
  t.ok(inputs.some((i) => i.source === 'body.query.name' && i.decoding.join() === 'graphql'), 'body.query.name');
  t.ok(inputs.some((i) => i.source === 'query.query.name'), 'query.query.name');
});

t.test('the literals read: names, block strings, escapes, comments', async (t) => {
  t.same(graphqlStrings('{ a(x: "1", y : "two\\"s") # "not this"\n b(z: """blo\\"""ck""") c("pos") }'), [
    ['x', '1'],
    ['y', 'two"s'],
    ['z', 'blo"""ck'],
    ['string3', 'pos'],
  ]);
});
