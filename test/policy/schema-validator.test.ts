import t from 'tap';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { AJV_OPTIONS, schemaHash, schemaSource } from '../../lib/policy/schema';

// The build (npm test's pretest) compiles the schema ahead of time; the agent loads that instead of ajv.
const root = path.resolve(__dirname, '..', '..');
const built = path.join(root, 'dist', 'lib', 'policy', 'schema-validator.js');

t.test('the precompiled validator is built from the current schema', async (t) => {
  t.ok(fs.existsSync(built), `${built} exists (npm run build writes it)`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(built) as ValidateFunction & { schemaHash?: string };
  t.equal(mod.schemaHash, schemaHash(), 'built from policies/schema.json as it is now');
  t.not(schemaHash('{"a":1}'), schemaHash('{"a":2}'), 'the hash tells schemas apart');
});

t.test('it finds the same problems as ajv compiling the schema', async (t) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pre = require(built) as ValidateFunction;
  const fresh = new Ajv(AJV_OPTIONS).compile(JSON.parse(schemaSource()) as object);
  const docs: Array<[string, unknown]> = [];
  for (const dir of [path.join(root, 'test', 'fixtures', 'policy'), path.join(root, 'policies'), path.join(root, 'bench', 'policies')]) {
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
      let doc: unknown;
      try {
        doc = parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      } catch {
        continue; // not YAML at all (broken.yaml): the loader reports that before the schema
      }
      docs.push([f, doc]);
    }
  }
  docs.push(['several problems', parse('version: 2\nmode: blocking\nallow:\n  fs.raed: ["/x"]\n  net.connect: [{ port: "http" }]\n')]);
  docs.push(['packages', { version: 1, packages: { 'Bad Name': {}, lodash: { allow: { 'fs.read': [{ path: 1 }] } } } }]);
  const shape = (v: ValidateFunction): unknown => (v.errors ?? []).map((e) => [e.instancePath, e.keyword, e.params, e.message, e.propertyName]);
  let invalid = 0;
  for (const [name, doc] of docs) {
    const a = pre(doc);
    const b = fresh(doc);
    t.equal(a, b, `${name}: same verdict`);
    t.same(shape(pre), shape(fresh), `${name}: same errors`);
    if (!a) invalid++;
  }
  t.ok(invalid >= 3, `${invalid} of ${docs.length} documents are invalid, so errors were compared`);
});

t.test('the built agent uses it', async (t) => {
  const out = execFileSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(path.join(root, 'dist', 'lib', 'policy', 'schema.js'))}).validatorOrigin())`], { encoding: 'utf8' });
  t.equal(out, 'precompiled');
});
