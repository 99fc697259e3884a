/**
 * Path-traversal corpus: attacks that must be caught and benign look-alikes
 * that must pass. Each case builds `rawPath` with the real `node:path`
 * functions the way an app would (`path.join(publicDir, name)`,
 * `publicDir + '/' + name`, `path.resolve(publicDir, name)`, …) and
 * resolves it like the fs hook does.
 */
import * as path from 'node:path';
import type { FsResource, TaintInput } from '../../../lib/types';
import type { PathRule } from '../../../lib/detectors/path';
import { charsOf } from '../../../lib/taint/decode';

export const APP = '/srv/app';
export const PUBLIC = '/srv/app/public';
export const UPLOADS = '/srv/app/data/uploads';

export interface PathCase {
  name: string;
  resource: FsResource;
  inputs: TaintInput[];
  /** Attacks: rules that may legitimately fire for this case. */
  rules?: PathRule[];
}

export function input(value: string, decoding: string[] = [], source = 'query.name'): TaintInput {
  // With the character classes extraction sets, so the detectors' pre-filters are judged too.
  return { source, value, decoding, chars: charsOf(value) };
}

type Template = { name: string; build: (x: string) => string };

export const T = {
  join: { name: 'path.join(publicDir, x)', build: (x: string) => path.join(PUBLIC, x) },
  concat: { name: "publicDir + '/' + x", build: (x: string) => `${PUBLIC}/${x}` },
  relative: { name: "'public/' + x (cwd /srv/app)", build: (x: string) => `public/${x}` },
  resolve: { name: 'path.resolve(publicDir, x)', build: (x: string) => path.resolve(PUBLIC, x) },
  whole: { name: 'fs.readFile(x)', build: (x: string) => x },
  json: { name: "path.join(uploads, x + '.json')", build: (x: string) => path.join(UPLOADS, `${x}.json`) },
  prefixed: { name: "uploads + '/user-' + x", build: (x: string) => `${UPLOADS}/user-${x}` },
  etc: { name: "'/etc/' + x", build: (x: string) => `/etc/${x}` },
  procSelf: { name: "'/proc/self/' + x", build: (x: string) => `/proc/self/${x}` },
} satisfies Record<string, Template>;

function resource(rawPath: string): FsResource {
  // The hook resolves relative paths against the working directory (here APP).
  return { rawPath, path: path.resolve(APP, rawPath), flags: 'r' };
}

export function pathCase(t: Template, x: string | TaintInput, rules?: PathRule[], extra: TaintInput[] = []): PathCase {
  const i = typeof x === 'string' ? input(x) : x;
  const c: PathCase = {
    name: `${t.name} ← ${JSON.stringify(i.value)}${i.decoding.length ? ` [${i.decoding.join(',')}]` : ''}`,
    resource: resource(t.build(i.value)),
    inputs: [...extra, i],
  };
  if (rules !== undefined) c.rules = rules;
  return c;
}

// ---------------------------------------------------------------------------
// Attacks
// ---------------------------------------------------------------------------

const DOT_DOT = [
  '../../../../etc/passwd',
  '../../../etc/shadow',
  '../../../../../../../../../../etc/passwd',
  '../../.env',
  '../.env',
  '../../../root/.ssh/id_rsa',
  '../../../proc/self/environ',
  '../../../../home/app/.aws/credentials',
  '../../.git/config',
  'a/../../../etc/passwd',
  './../../../etc/hosts',
  '../../../../var/log/auth.log',
  '..//..//..//etc/passwd',
  'images/../../../../etc/group',
  '../package.json',
  '../../../../etc/passwd%00.png',
  '../config/database.yml',
];

const ABSOLUTE = [
  '/etc/passwd',
  '/etc/shadow',
  '/proc/self/environ',
  '/proc/1/cmdline',
  '/root/.ssh/id_rsa',
  '//etc/passwd',
  '/var/run/secrets/kubernetes.io/serviceaccount/token',
  '/home/app/.env',
  '/srv/app/config/secrets.yml',
  '/tmp/../etc/passwd',
];

/** Drive and UNC paths are absolute only where they start the path (on POSIX a join keeps them inside). */
const WINDOWS_ABSOLUTE = ['C:\\Windows\\win.ini', 'C:/Windows/System32/config/SAM', '\\\\fileserver\\share\\secrets.txt', 'd:\\backup.zip', 'C:'];

const ENCODED = [
  '..%2f..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '..%5c..%5c..%5cwindows%5cwin.ini',
  '%252e%252e%252f%252e%252e%252fetc%252fpasswd',
  '..%252f..%252f..%252fetc%252fpasswd',
  '%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afetc%c0%afpasswd',
  '..%c0%af..%c0%af..%c0%afetc%c0%afpasswd',
  '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
  '.%2e/.%2e/.%2e/etc/passwd',
  '%u002e%u002e%u002f%u002e%u002e%u002fetc%u002fpasswd',
  'report.txt%00.png',
  '%e0%80%ae%e0%80%ae/%e0%80%ae%e0%80%ae/etc/passwd',
];

const BACKSLASH = [
  '..\\..\\..\\etc\\passwd',
  '..\\..\\windows\\win.ini',
  'a\\..\\..\\..\\secret.txt',
  '..\\/..\\/..\\/etc/passwd',
  '..\\',
];

const NUL = ['report.txt\0.png', 'a\0b', 'logo.png\0', '../../etc/passwd\0.jpg'];

const SENSITIVE = [
  '.env',
  '.env.local',
  '.env.production',
  'config/.env',
  '.git/config',
  '.git/HEAD',
  '.ssh/id_rsa',
  '.ssh/authorized_keys',
  '.aws/credentials',
  '.npmrc',
  '.htpasswd',
  'id_rsa',
  'id_ed25519',
  '.git-credentials',
  '.docker/config.json',
  '.kube/config',
  '.pgpass',
  '.netrc',
  '.bash_history',
];

export const attacks: PathCase[] = [
  ...DOT_DOT.flatMap((x) => [pathCase(T.join, x), pathCase(T.concat, x), pathCase(T.relative, x)]),
  ...DOT_DOT.slice(0, 6).map((x) => pathCase(T.json, x)),
  ...DOT_DOT.slice(0, 6).map((x) => pathCase(T.prefixed, `/../${x}`)),
  ...ABSOLUTE.flatMap((x) => [pathCase(T.resolve, x), pathCase(T.whole, x)]),
  ...WINDOWS_ABSOLUTE.map((x) => pathCase(T.whole, x)),
  ...ENCODED.flatMap((x) => [pathCase(T.join, x), pathCase(T.concat, x)]),
  ...BACKSLASH.flatMap((x) => [pathCase(T.join, x), pathCase(T.concat, x)]),
  ...NUL.map((x) => pathCase(T.join, x)),
  ...SENSITIVE.map((x) => pathCase(T.join, x, ['sensitive'])),
  pathCase(T.etc, 'passwd', ['sensitive']),
  pathCase(T.etc, 'shadow', ['sensitive']),
  pathCase(T.procSelf, 'environ', ['sensitive']),
  pathCase(T.procSelf, 'cmdline', ['sensitive']),
  // The taint layer offers decoded forms as separate inputs: the raw query value
  // never reaches fs, its URL-decoded form does.
  pathCase(T.join, input('../../../../etc/passwd', ['url']), ['dot-dot'], [input('..%2F..%2F..%2F..%2Fetc%2Fpasswd')]),
  pathCase(T.join, input('../../../etc/passwd', ['base64']), ['dot-dot'], [input('Li4vLi4vLi4vZXRjL3Bhc3N3ZA==')]),
  // Double-encoded: express decodes once, the second layer reaches the path.
  pathCase(T.join, input('%2e%2e%2f%2e%2e%2fetc%2fpasswd', ['url']), ['encoded'], [input('%252e%252e%252fetc%252fpasswd')]),
  // A second, unrelated input comes first and must not hide the attack.
  pathCase(T.join, '../../../etc/passwd', ['dot-dot'], [input('report', [], 'query.title')]),
  // path.join reads a leading '/' as a separator ('/../x' climbs from the base); path.resolve drops a trailing '/'.
  ...['/../secret.txt', '//../config/db.json', '/./../../srv/other/data.csv', '/a/../../secret.txt'].map((x) => pathCase(T.join, x, ['dot-dot'])),
  ...['../secret.txt/', '../config/db.json//', 'a/../../secret.txt/', '../../srv/other/'].map((x) => pathCase(T.resolve, x, ['dot-dot'])),
];

// ---------------------------------------------------------------------------
// Benign look-alikes
// ---------------------------------------------------------------------------

const NAMES = [
  'report.txt',
  'a/b.txt',
  'images/logo.png',
  'docs/2024/q1/summary.pdf',
  '..foo',
  'file..txt',
  '...',
  'résumé.pdf',
  '文件.txt',
  'über/straße.txt',
  'emoji-😀.png',
  'ｆｕｌｌｗｉｄｔｈ.txt',
  'my file (1).txt',
  'report%20final.txt',
  'a%2Bb.txt',
  'v1.2.3/notes.md',
  '.well-known/security.txt',
  '.htaccess',
  'env.txt',
  'environment.md',
  '.env.example',
  '.env.sample',
  'a/./b.txt',
  'a/b/../c.txt',
  'x/..',
  'passwd.txt',
  'etc/passwd',
  'shadow.png',
  'id_rsa.pub',
  'keys/id_ed25519.pub',
  'git/config',
  '.gitignore',
  '.github/workflows/ci.yml',
  'ssh-guide.md',
  'aws-credentials-howto.md',
  'proc/self/environ',
  'notes:2024.txt',
  'a\\b.txt',
  'archive.tar.gz',
  'my.env.backup',
  '.environment',
  'dot.dot.dot',
  '2024-01-01..2024-12-31.csv',
  'a..b/c..d',
  '%',
  '100%.txt',
  '%2e.txt',
  'C-drive.txt',
];

export const benign: PathCase[] = [
  ...NAMES.flatMap((x) => [pathCase(T.join, x), pathCase(T.concat, x)]),
  ...NAMES.slice(0, 20).map((x) => pathCase(T.relative, x)),
  ...['photo', 'a.b', 'résumé', '2024..2025', 'x%20y'].map((x) => pathCase(T.json, x)),
  ...['1', 'abc', 'report.v2', '..x'].map((x) => pathCase(T.prefixed, x)),
  ...['uploads/a.png', 'report.txt', 'data/export.csv'].map((x) => pathCase(T.whole, x)),
  // The same slashes without a climb out of the base.
  ...['/report.txt', '//img/logo.png', '/a/../report.txt'].map((x) => pathCase(T.join, x)),
  ...['report.txt/', 'img/logo.png//', 'a/../report.txt/'].map((x) => pathCase(T.resolve, x)),
  // The request path coincides with the start of an absolute path the app chose.
  { name: "request path '/home' vs the app's template file", resource: resource('/home/user/app/views/home.ejs'), inputs: [input('/home', [], 'path')] },
  { name: "request path '/app' vs /app/views/index.html", resource: resource('/app/views/index.html'), inputs: [input('/app', [], 'path')] },
  { name: "request path '/' vs a CA bundle", resource: resource('/etc/ssl/certs/ca-certificates.crt'), inputs: [input('/', [], 'path')] },
  { name: "request path '/etc' vs a CA bundle", resource: resource('/etc/ssl/certs/ca-certificates.crt'), inputs: [input('/etc', [], 'path')] },
  // The app chose the sensitive location; the input only picks an ordinary name inside it.
  { name: '/proc/<pid>/status for a pid from the query', resource: resource('/proc/1234/status'), inputs: [input('1234', [], 'query.pid')] },
  { name: '.git/refs/heads/<branch>', resource: resource(path.join(APP, '.git', 'refs', 'heads', 'main')), inputs: [input('main', [], 'query.branch')] },
  { name: '.git/refs/heads/<branch with slash>', resource: resource(path.join(APP, '.git', 'refs', 'heads', 'feature/login')), inputs: [input('feature/login', [], 'query.branch')] },
  { name: '~/.ssh/known_hosts written by a deploy tool, input is a host', resource: resource('/home/app/.ssh/known_hosts'), inputs: [input('github.com', [], 'body.host')] },
  // Inputs that do not occur in the path at all.
  { name: 'unrelated input, sensitive path', resource: resource('/etc/passwd'), inputs: [input('report.txt')] },
  { name: 'unrelated dot-dot input', resource: resource(path.join(PUBLIC, 'index.html')), inputs: [input('../../../etc/passwd', [], 'headers.referer')] },
];
