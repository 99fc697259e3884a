import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluate, findPolicyFile, loadPolicyFile, loadPolicyText, PolicyError } from '../../lib/policy/index';
import { fsRead } from './helpers';

const fixtures = path.resolve(__dirname, '..', 'fixtures', 'policy');
const presets = path.resolve(__dirname, '..', '..', 'policies');

function errorOf(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PolicyError) return e;
    throw e;
  }
  throw new Error('expected a PolicyError');
}

t.test('a typo in a field name names file:line:column, the field and the closest name', async (t) => {
  const file = path.join(fixtures, 'typo.yaml');
  const e = errorOf(() => loadPolicyFile(file));
  t.equal(e.file, file);
  t.equal(e.line, 7);
  t.equal(e.column, 32, 'points at the key');
  t.equal(e.field, 'allow.net.connect[0].prot');
  t.match(e.hint, /did you mean "port"\?/);
  t.equal(e.message, `${file}:7:32: allow.net.connect[0].prot: unknown field "prot" (did you mean "port"?)`);
});

t.test('several problems at once, each with its position', async (t) => {
  const e = errorOf(() => loadPolicyText('version: 2\nmode: blocking\nallow:\n  fs.raed: ["/x"]\n  net.connect: [{ port: "http" }]\n', 'p.yaml'));
  const lines = e.errors.map((p) => `${p.line}:${p.column} ${p.field}`);
  t.same(lines, ['1:10 version', '2:7 mode', '4:3 allow.fs.raed', '5:25 allow.net.connect[0].port']);
  t.match(e.errors[1]!.hint, /did you mean "block"/);
  t.match(e.errors[2]!.hint, /did you mean "fs.read"/);
  t.match(e.errors[3]!.problem, /invalid port/);
});

t.test('section names, rule shapes and keys', async (t) => {
  t.match(errorOf(() => loadPolicyText('version: 1\nallow:\n  fs.read: [3]\n', 'p.yaml')).message, /allow\.fs\.read\[0\]: must be string or object/);
  t.match(errorOf(() => loadPolicyText('version: 1\nroutes:\n  "post /x": {}\n', 'p.yaml')).message, /p\.yaml:3:3: routes\["post \/x"\]: invalid key/);
  t.match(errorOf(() => loadPolicyText('version: 1\npackages:\n  "Bad Name": {}\n', 'p.yaml')).message, /invalid package name/);
  t.match(errorOf(() => loadPolicyText('version: 1\nexceptions:\n  - { id: E, reason: abc, owner: me, operation: fs.read }\n', 'p.yaml')).message, /missing required field "expires"/);
  t.match(errorOf(() => loadPolicyText('version: 1\nexceptions:\n  - { id: E, reason: abc, owner: me, expires: 2030-01-01, operation: fs.read, match: { pth: "/x" } }\n', 'p.yaml')).message, /match\.pth: unknown field "pth" \(did you mean "path"\?\)/);
  t.match(errorOf(() => loadPolicyText('mode: block\n', 'p.yaml')).message, /missing required field "version"/);
});

t.test('semantic errors: globs, CIDRs, regexes, variables, duplicate ids', async (t) => {
  t.match(errorOf(() => loadPolicyText('version: 1\nallow:\n  fs.read: ["relative/**"]\n', 'p.yaml')).message, /p\.yaml:3:13: allow\.fs\.read\[0\]: path glob "relative\/\*\*" is not absolute/);
  t.match(errorOf(() => loadPolicyText('version: 1\nallow:\n  net.connect: [{ cidr: 10.0.0.0/33 }]\n', 'p.yaml')).message, /invalid CIDR/);
  t.match(errorOf(() => loadPolicyText('version: 1\nallow:\n  process.spawn: [{ file: ls, args: ["/(/"] }]\n', 'p.yaml')).message, /invalid regular expression/);
  const v = errorOf(() => loadPolicyText('version: 1\nallow:\n  fs.read: ["${APP_RUUT}/**"]\n', 'p.yaml'));
  t.match(v.message, /unknown variable \$\{APP_RUUT\}/);
  t.match(v.hint, /\$\{APP_ROOT\}/);
  t.match(errorOf(() => loadPolicyText('version: 1\nallow:\n  fs.read: ["${ENV:PALISADE_SURELY_UNSET}/x"]\n', 'p.yaml')).message, /PALISADE_SURELY_UNSET is not set/);
  t.match(errorOf(() => loadPolicyText('version: 1\nallow:\n  fs.read: [{ id: a, path: /x }]\n  fs.write: [{ id: a, path: /y }]\n', 'p.yaml')).message, /p\.yaml:4:20: allow\.fs\.write\[0\]\.id: duplicate id "a"/);
});

t.test('not YAML at all', async (t) => {
  const e = errorOf(() => loadPolicyFile(path.join(fixtures, 'broken.yaml')));
  t.ok(e.line > 0, 'YAML syntax errors have a line');
  t.match(e.hint, /not valid YAML/);
  t.match(errorOf(() => loadPolicyFile(path.join(fixtures, 'does-not-exist.yaml'))).message, /cannot read policy: ENOENT/);
});

t.test('JSON policies, variables, and discovery', async (t) => {
  const p = loadPolicyText(JSON.stringify({ version: 1, mode: 'block', allow: { 'fs.read': ['${APP_ROOT}/**', '${HOME}/.config/app/**'] } }), 'p.json', { APP_ROOT: '/srv/app' });
  t.equal(evaluate(p, fsRead('/srv/app/x')).decision, 'allow');
  t.equal(evaluate(p, fsRead(path.join(os.homedir(), '.config/app/c.json'))).decision, 'allow');
  t.equal(evaluate(p, fsRead('/srv/other')).decision, 'deny');
  const jsonErr = errorOf(() => loadPolicyText('{\n  "version": 1,\n  "alow": {}\n}\n', 'p.json'));
  t.equal(`${jsonErr.line}:${jsonErr.column}`, '3:3', 'JSON errors have positions too');
  t.match(jsonErr.hint, /did you mean "allow"/);
  const lit = loadPolicyText('version: 1\nmode: block\nallow:\n  process.spawn: [{ file: echo, args: ["$${HOME}"] }]\n', 'p.yaml');
  t.equal(evaluate(lit, { name: 'process.spawn', module: 'x', fn: 'x', resource: { file: 'echo', args: ['${HOME}'], shell: false } }).decision, 'allow', '$${ is a literal ${');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-find-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  t.equal(findPolicyFile(dir, {}), undefined);
  fs.writeFileSync(path.join(dir, 'palisade.yaml'), 'version: 1\n');
  t.equal(findPolicyFile(dir, {}), path.join(dir, 'palisade.yaml'));
  t.equal(findPolicyFile(dir, { PALISADE_POLICY: 'other.yaml' }), path.join(dir, 'other.yaml'));
});

t.test('presets load', async (t) => {
  const def = loadPolicyFile(path.join(presets, 'default.yaml'));
  t.equal(def.mode, 'block');
  t.equal(def.injectionMode('sql_injection'), 'block');
  for (const op of ['fs.read', 'fs.write', 'process.spawn', 'net.connect', 'sql.query', 'code.eval'] as const) t.equal(def.restricts(op), false, `default: ${op} not restricted`);
  const strict = loadPolicyFile(path.join(presets, 'strict.yaml'), { APP_ROOT: '/srv/app' });
  t.equal(evaluate(strict, fsRead('/srv/app/index.js')).decision, 'allow');
  t.equal(evaluate(strict, fsRead('/etc/passwd')).decision, 'deny');
  t.equal(evaluate(strict, fsRead('/root/.ssh/id_rsa')).decision, 'deny');
  t.equal(evaluate(strict, { name: 'process.spawn', module: 'x', fn: 'x', resource: { file: 'ls', args: [], shell: false } }).decision, 'deny');
  t.equal(evaluate(strict, { name: 'code.eval', module: 'x', fn: 'x', resource: { source: '1', via: 'eval' } }).decision, 'deny');
  t.equal(evaluate(strict, { name: 'sql.query', module: 'x', fn: 'x', resource: { driver: 'pg', dialect: 'postgres', text: 'SELECT 1; DROP TABLE x' } }).decision, 'deny');
  t.equal(evaluate(strict, { name: 'sql.query', module: 'x', fn: 'x', resource: { driver: 'pg', dialect: 'postgres', text: 'GRANT ALL ON x TO y' } }).decision, 'deny');
  t.equal(evaluate(strict, { name: 'net.connect', module: 'x', fn: 'x', resource: { host: 'localhost', port: 5432, address: '127.0.0.1' } }).decision, 'allow');
  t.equal(strict.needsPackage('fs.read'), true, 'strict: packages do not inherit');
});
