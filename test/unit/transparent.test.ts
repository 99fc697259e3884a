import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isTransparentPackage } from '../../lib/agent';
import { start } from '../../lib/index';
import { tmpDir } from '../helpers/app';

// Which packages count as their caller's. The fs hook asks this to see Node's
// module loader through another agent's fs wrapper, with or without a policy.

t.test('without a policy, the built-in transparent packages', async (t) => {
  const r = start({ mode: 'monitor', log: path.join(tmpDir(), 'events.log') });
  t.teardown(() => r.stop());
  t.equal(isTransparentPackage('pg'), true);
  t.equal(isTransparentPackage('follow-redirects'), true, 'axios requests through it');
  t.equal(isTransparentPackage('send'), true, "express's sendFile and static files read through it");
  t.equal(isTransparentPackage('@opentelemetry/api'), true);
  t.equal(isTransparentPackage('@opentelemetry/instrumentation'), true);
  t.equal(isTransparentPackage('@opentelemetry/instrumentation-fs'), true);
  t.equal(isTransparentPackage('@opentelemetry/context-async-hooks'), true);
  t.equal(isTransparentPackage('@opentelemetry/exporter-trace-otlp-http'), false, "an exporter's requests are its own");
  t.equal(isTransparentPackage('@opentelemetry/instrumentationx'), false);
  t.equal(isTransparentPackage('apm-agent'), false);
});

t.test('a policy amends them: transparent: true adds one, false takes a built-in one back', async (t) => {
  const dir = tmpDir();
  const policy = path.join(dir, 'policy.yaml');
  fs.writeFileSync(policy, 'version: 1\nmode: monitor\npackages:\n  apm-agent: { transparent: true }\n  axios: { transparent: false }\n');
  const r = start({ mode: 'monitor', policy, log: path.join(dir, 'events.log') });
  t.teardown(() => r.stop());
  t.equal(isTransparentPackage('apm-agent'), true);
  t.equal(isTransparentPackage('axios'), false);
  t.equal(isTransparentPackage('pg'), true, 'the rest of the built-in list stays');
  t.equal(isTransparentPackage('@opentelemetry/instrumentation-http'), true);
});
