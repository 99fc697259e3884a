import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectPathTraversal, detectPathTraversalWrite, isSensitivePath, sensitivePathMatch } from '../../lib/detectors/path';
import type { FsResource } from '../../lib/types';
import { attacks, benign, input, pathCase, T } from './corpus/path';
import { sameWithoutClasses } from './corpus/classes';

t.test('corpus size', async (t) => {
  t.ok(attacks.length >= 100, `${attacks.length} attacks`);
  t.ok(benign.length >= 100, `${benign.length} benign look-alikes`);
  t.comment(`attacks: ${attacks.length}, benign: ${benign.length}`);
});

t.test('every attack is caught', async (t) => {
  for (const c of attacks) {
    const f = detectPathTraversal(c.resource, c.inputs);
    if (f === undefined) {
      t.fail(`missed: ${c.name} (rawPath ${JSON.stringify(c.resource.rawPath)})`);
      continue;
    }
    t.equal(f.kind, 'path_traversal', c.name);
    t.equal(f.input, c.inputs[c.inputs.length - 1], `${c.name}: names the attacking input`);
    if (c.rules !== undefined) t.ok(c.rules.includes(f.detail?.['rule'] as never), `${c.name}: rule ${String(f.detail?.['rule'])}`);
    t.equal(f.detail?.['path'], c.resource.path, `${c.name}: detail.path`);
  }
});

t.test('every benign look-alike passes', async (t) => {
  for (const c of benign) {
    const f = detectPathTraversal(c.resource, c.inputs);
    t.equal(f, undefined, f === undefined ? c.name : `${c.name}: false positive (${f.reason})`);
  }
});

t.test('each rule names itself', async (t) => {
  const rule = (c: { resource: FsResource; inputs: Parameters<typeof detectPathTraversal>[1] }): unknown =>
    detectPathTraversal(c.resource, c.inputs)?.detail?.['rule'];
  t.equal(rule(pathCase(T.join, '../../../../etc/passwd')), 'dot-dot');
  t.equal(rule(pathCase(T.concat, '../../../../etc/passwd')), 'dot-dot');
  t.equal(rule(pathCase(T.whole, '/etc/passwd')), 'absolute');
  t.equal(rule(pathCase(T.resolve, '/etc/passwd')), 'absolute');
  t.equal(rule(pathCase(T.join, '..\\..\\..\\etc\\passwd')), 'mixed-separators');
  t.equal(rule(pathCase(T.join, '..%2f..%2fetc%2fpasswd')), 'encoded');
  t.equal(rule(pathCase(T.join, 'a%00.txt')), 'encoded');
  t.equal(rule(pathCase(T.join, 'a\0.txt')), 'nul');
  t.equal(rule(pathCase(T.join, '.env')), 'sensitive');
  const f = detectPathTraversal(pathCase(T.join, '../../../../etc/passwd').resource, [input('../../../../etc/passwd')]);
  t.equal(f?.detail?.['sensitive'], '/etc/passwd (account database)', 'a traversal also says what it reached');
  t.match(f?.reason, /leave the directory/);
});

t.test('the app climbing is not the input climbing', async (t) => {
  // The app itself goes up one level; the input is a plain name.
  const raw = `${path.join('/srv/app/public', '..', 'shared')}/x/../report.txt`;
  t.equal(detectPathTraversal({ rawPath: raw, path: path.resolve(raw) }, [input('report.txt')]), undefined);
  const appUp = '/srv/app/public/../shared/report.txt';
  t.equal(detectPathTraversal({ rawPath: appUp, path: path.resolve(appUp) }, [input('report.txt')]), undefined);
  // The input re-enters the base after climbing: normalisation keeps it inside.
  const reenter = '/srv/app/public/../public/report.txt';
  t.equal(detectPathTraversal({ rawPath: reenter, path: path.resolve(reenter) }, [input('../public/report.txt')]), undefined);
});

t.test('writes use the same check', async (t) => {
  const c = pathCase(T.join, '../../../../home/app/.ssh/authorized_keys');
  t.equal(detectPathTraversalWrite({ ...c.resource, flags: 'w' }, c.inputs)?.kind, 'path_traversal');
  t.equal(detectPathTraversalWrite(pathCase(T.join, 'upload-1.png').resource, [input('upload-1.png')]), undefined);
});

t.test('a payload-in-input path (the app cut the path out of the input)', async (t) => {
  t.equal(detectPathTraversal({ rawPath: '/etc/passwd', path: '/etc/passwd' }, [input('file=/etc/passwd')])?.detail?.['rule'], 'absolute');
  t.equal(detectPathTraversal({ rawPath: '../../secret', path: '/secret' }, [input('name:../../secret')])?.detail?.['rule'], 'dot-dot');
  t.equal(detectPathTraversal({ rawPath: 'a/b.txt', path: '/srv/app/a/b.txt' }, [input('file=a/b.txt')]), undefined);
  // Neither holds a '/': the input does not occur in the path, and has nothing to normalise, but holds it all.
  t.equal(detectPathTraversal({ rawPath: '..', path: '/srv' }, [input('name:..')])?.detail?.['rule'], 'dot-dot');
  const nul = 'report.txt\0.png';
  t.equal(detectPathTraversal({ rawPath: nul, path: `/srv/${nul}` }, [input(`file=${nul}`)])?.detail?.['rule'], 'nul');
});

t.test('isSensitivePath', async (t) => {
  const yes: Array<[string, RegExp]> = [
    ['/etc/passwd', /account database/],
    ['/etc/shadow', /password hashes/],
    ['/ETC/PASSWD', /account database/],
    ['/proc/self/environ', /\/proc/],
    ['/proc/1/mem', /\/proc/],
    ['/proc/self', /\/proc/],
    ['/srv/app/.env', /environment secrets/],
    ['/srv/app/.env.production', /environment secrets/],
    ['/home/u/.ssh/config', /SSH/],
    ['/home/u/.ssh/id_rsa', /SSH private key/],
    ['/home/u/.aws/credentials', /AWS/],
    ['/srv/app/.git/config', /git/],
    ['/home/u/.npmrc', /npm/],
    ['/root/notes.txt', /root/],
    ['/var/run/secrets/kubernetes.io/serviceaccount/token', /secrets/],
    ['/run/secrets/db_password', /secrets/],
    ['/etc/ssh/ssh_host_ed25519_key', /host private key/],
    ['C:\\Windows\\win.ini', /win.ini/],
    ['C:\\Windows\\System32\\config\\SAM', /registry/],
    ['C:\\Users\\me\\.ssh\\id_ed25519', /SSH private key/],
  ];
  for (const [p, why] of yes) t.match(isSensitivePath(p), why, p);
  const no = [
    '/etc/hosts',
    '/etc/ssl/certs/ca-certificates.crt',
    '/etc/ssh/ssh_host_ed25519_key.pub',
    '/proc/cpuinfo',
    '/srv/app/.env.example',
    '/srv/app/.envrc.d/x',
    '/srv/app/environment.ts',
    '/home/u/.ssh-backup.txt',
    '/srv/app/.github/workflows/ci.yml',
    '/srv/app/.gitignore',
    '/home/u/id_rsa.pub',
    '/srv/app/public/etc/passwd',
    '/srv/app/proc/self/environ',
    '/',
    '',
  ];
  for (const p of no) t.equal(isSensitivePath(p), undefined, p);
  t.same(sensitivePathMatch('/etc/passwd')?.keys, ['etc', 'passwd']);
});

// Ground truth: with real files, every attack that the detector reports as
// dot-dot really leaves the public directory, and every benign join stays in it.
t.test('agrees with the real filesystem', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-path-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const pub = path.join(root, 'app', 'public');
  fs.mkdirSync(path.join(pub, 'a', 'b'), { recursive: true });
  fs.writeFileSync(path.join(pub, 'a', 'b.txt'), 'inside');
  fs.writeFileSync(path.join(root, 'app', 'secret.txt'), 'outside');
  const escapes = ['../secret.txt', 'a/../../secret.txt', './../secret.txt', 'a/b/../../../secret.txt'];
  for (const x of escapes) {
    const raw = path.join(pub, x);
    t.equal(fs.readFileSync(raw, 'utf8'), 'outside', `${x} really escapes`);
    t.equal(detectPathTraversal({ rawPath: raw, path: path.resolve(raw) }, [input(x)])?.detail?.['rule'], 'dot-dot', `${x} is reported`);
    const concat = `${pub}/${x}`;
    t.equal(fs.readFileSync(concat, 'utf8'), 'outside', `${x} (concat) really escapes`);
    t.equal(detectPathTraversal({ rawPath: concat, path: path.resolve(concat) }, [input(x)])?.detail?.['rule'], 'dot-dot', `${x} (concat) is reported`);
  }
  const stays = ['a/b.txt', 'a/./b.txt', 'a/../a/b.txt', 'x/../a/b.txt'];
  for (const x of stays) {
    const raw = path.join(pub, x);
    t.equal(fs.readFileSync(raw, 'utf8'), 'inside', `${x} really stays inside`);
    t.equal(detectPathTraversal({ rawPath: raw, path: path.resolve(raw) }, [input(x)]), undefined, `${x} passes`);
  }
});

t.test('never throws on random input', async (t) => {
  const alphabet = ['.', '..', '/', '\\', '%', '%2e', '%2f', '%c0', '%ae', '%u', '\0', 'a', 'etc', 'passwd', '.env', ':', 'C:', '~', ' ', 'é', '%25'];
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let findings = 0;
  for (let i = 0; i < 3000; i++) {
    let x = '';
    const len = rnd(12);
    for (let j = 0; j < len; j++) x += alphabet[rnd(alphabet.length)];
    const raw = rnd(2) === 0 ? path.join('/srv/app/public', x) : `/srv/app/public/${x}`;
    const f = detectPathTraversal({ rawPath: raw, path: path.resolve(raw) }, [input(x)]);
    if (f !== undefined) findings++;
  }
  t.ok(findings > 0, `${findings} findings on 3000 random paths, no exception`);
});

t.test('inputs without character classes get the same verdicts', async (t) => {
  sameWithoutClasses(t, [...attacks, ...benign], detectPathTraversal);
});
