import t from 'tap';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { FIXTURES, GUARD, ROOT, readEvents, tmpDir } from '../helpers/app';
import { startBackends } from './helpers';

// Cloud metadata outside any request: a script under
// `node --require palisade/register` that reaches for the metadata service at
// startup is refused and reported; the egress guard in that process proves no
// socket (and no real DNS query) went out.

function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--require', GUARD, '--require', 'palisade/register', path.join(FIXTURES, 'net', 'metadata-startup.js')], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('block mode: every path to the metadata service is refused at startup', async (t) => {
  const dir = tmpDir();
  const b = await startBackends(dir);
  t.teardown(() => b.close());
  const log = path.join(dir, 'events.log');
  const r = await run({
    PALISADE_MODE: 'block',
    PALISADE_METADATA: 'block',
    PALISADE_LOG: log,
    EGRESS_DNS_STUB: 'imds.test=169.254.169.254,metadata.google.internal=169.254.169.254',
    BACKEND_URL: `http://127.0.0.1:${b.port}/`,
  });
  t.equal(r.code, 0, 'the script exits cleanly');
  t.notMatch(r.stderr, 'EGRESS-GUARD VIOLATION', 'no connection to a metadata address was attempted');
  const m = /RESULTS (.*)/.exec(r.stdout);
  t.ok(m, 'the script reported');
  const results = JSON.parse(m?.[1] ?? '{}') as Record<string, string>;
  t.same(results, {
    httpLiteral: 'ERR_PALISADE_BLOCKED',
    httpStubName: 'ERR_PALISADE_BLOCKED',
    fetchIpv6: 'ERR_PALISADE_BLOCKED',
    fetchGcpName: 'ERR_PALISADE_BLOCKED',
    fetchStubName: 'ERR_PALISADE_BLOCKED',
    netStubName: 'ERR_PALISADE_BLOCKED',
    loopback: 'connected 200',
  });
  t.equal(b.requests(), 1, 'the loopback call went through');
  const evs = readEvents(log).filter((e) => e.kind === 'ssrf');
  t.ok(evs.length >= 3, `${evs.length} events`);
  for (const e of evs) {
    t.match(e, { action: 'block', operation: 'net.connect', input: { source: 'none' }, detail: { class: 'metadata' } });
    t.equal(e.request, undefined, 'no request in scope');
  }
  t.ok(evs.some((e) => e.resource?.host === '169.254.169.254' && e.module === 'http'), 'literal, judged at call time');
  t.ok(evs.some((e) => e.resource?.host === 'imds.test' && e.resource?.address === '169.254.169.254'), 'a name, judged by its DNS answer');
  t.ok(evs.some((e) => e.resource?.host === 'fd00:ec2::254'), 'the IPv6 endpoint');
});
