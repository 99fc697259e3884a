import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const doc = fs.readFileSync(path.join(root, 'docs', 'policy.md'), 'utf8');
const schema = JSON.parse(fs.readFileSync(path.join(root, 'policies', 'schema.json'), 'utf8')) as unknown;

/** Every property name and enum value anywhere in the schema. */
function collect(node: unknown, props: Set<string>, enums: Set<string>): void {
  if (Array.isArray(node)) {
    for (const x of node) collect(x, props, enums);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (o.properties && typeof o.properties === 'object') for (const k of Object.keys(o.properties)) props.add(k);
  if (Array.isArray(o.enum)) for (const v of o.enum) enums.add(String(v));
  for (const v of Object.values(o)) collect(v, props, enums);
}

t.test('docs/policy.md describes every field and value of the schema', async (t) => {
  const props = new Set<string>();
  const enums = new Set<string>();
  collect(schema, props, enums);
  t.ok(props.size > 40, `schema has ${props.size} property names`);
  for (const p of [...props].sort()) t.ok(doc.includes(`\`${p}\``), `documents \`${p}\``);
  for (const e of [...enums].sort()) t.ok(doc.includes(`\`${e}\``), `documents value \`${e}\``);
});

t.test('the presets are documented', async (t) => {
  t.match(doc, /policies\/default\.yaml/);
  t.match(doc, /policies\/strict\.yaml/);
});
