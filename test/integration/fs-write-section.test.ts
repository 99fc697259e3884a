import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { start, untrusted, isPalisadeBlockedError } from '../../lib/index';
import { __setFaultInjector } from '../../lib/agent';
import type { Operation } from '../../lib/types';
import { tmpDir } from '../helpers/app';

// The fs hooks ask one question for reads and writes (shouldInspectAny):
// with the path detector off and a section for fs.write only, reads are not
// judged at all, and writes are, in a scope and out of one.
const dir = tmpDir();
const log = path.join(dir, 'events.log');
const policy = path.join(dir, 'palisade.yaml');
const locked = path.join(dir, 'locked');
fs.mkdirSync(locked);
fs.mkdirSync(path.join(dir, 'open'));
fs.writeFileSync(
  policy,
  `version: 1\nmode: block\ninjection: { path: "off" }\ndeny:\n  fs.write:\n    - { id: no-locked, path: "${locked}/**" }\n`,
);
start({ log, policy });
const judged: string[] = [];
__setFaultInjector((op: Operation) => {
  judged.push(op.name);
});
t.teardown(() => __setFaultInjector(undefined));

function attempt(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e;
  }
}

t.test('a write under the denied directory is blocked outside a request', async (t) => {
  t.ok(isPalisadeBlockedError(attempt(() => fs.writeFileSync(path.join(locked, 'a.txt'), 'x'))), 'blocked');
  t.notOk(fs.existsSync(path.join(locked, 'a.txt')), 'and not written');
  t.equal(attempt(() => fs.writeFileSync(path.join(dir, 'open', 'a.txt'), 'x')), undefined, 'elsewhere the write happens');
});

t.test('and inside one, where a traversal read is not judged (the path detector is off)', async (t) => {
  judged.length = 0;
  const traversal = path.join(dir, 'open', '..', '..', path.basename(dir), 'palisade.yaml');
  untrusted('query', { file: `../../${path.basename(dir)}/palisade.yaml` }, () => {
    t.equal(attempt(() => fs.readFileSync(traversal)), undefined, 'the read happens');
    t.ok(isPalisadeBlockedError(attempt(() => fs.writeFileSync(path.join(locked, 'b.txt'), 'x'))), 'the write is blocked');
  });
  t.notOk(judged.includes('fs.read'), 'no read was judged');
  t.ok(judged.includes('fs.write'), 'the write was');
});
