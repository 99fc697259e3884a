import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';

/**
 * Loopback backends for SSRF tests. They count TCP connections, not only
 * HTTP requests: "blocked" means no socket ever reached them.
 */
export interface Backends {
  /** IPv4 (127.0.0.1) http port. */
  port: number;
  /** IPv6 (::1) http port, or undefined when the host has no IPv6 loopback. */
  port6: number | undefined;
  /** https on 127.0.0.1 (self-signed for 127.0.0.1 and localhost). */
  tlsPort: number;
  tlsPort6: number | undefined;
  /** PEM file of the https backend's certificate. */
  caFile: string;
  connections(): number;
  requests(): number;
  close(): Promise<void>;
}

function listen(server: net.Server, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

export function selfSignedCert(dir: string): { key: Buffer; cert: Buffer; certFile: string } {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
  ], { stdio: 'ignore' });
  return { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile), certFile };
}

export async function startBackends(dir: string): Promise<Backends> {
  let connections = 0;
  let requests = 0;
  const handler: http.RequestListener = (req, res) => {
    requests++;
    if (req.url === '/redirect-local') {
      // A target that appears nowhere in the request URL: only the redirect chooses it.
      res.writeHead(302, { location: `http://localhost:${req.socket.localPort}/internal` });
      res.end();
      return;
    }
    if (req.url?.startsWith('/redirect-to/') === true) {
      res.writeHead(302, { location: decodeURIComponent(req.url.slice('/redirect-to/'.length)) });
      res.end();
      return;
    }
    res.end('backend');
  };
  const { key, cert, certFile } = selfSignedCert(dir);
  const servers: net.Server[] = [];
  const make = async (tls: boolean, host: string): Promise<number | undefined> => {
    const s = tls ? https.createServer({ key, cert }, handler) : http.createServer(handler);
    s.on('connection', () => connections++);
    const port = await listen(s, host);
    if (port !== undefined) servers.push(s);
    return port;
  };
  const port = await make(false, '127.0.0.1');
  const tlsPort = await make(true, '127.0.0.1');
  if (port === undefined || tlsPort === undefined) throw new Error('cannot listen on 127.0.0.1');
  const port6 = await make(false, '::1');
  const tlsPort6 = await make(true, '::1');
  return {
    port,
    port6,
    tlsPort,
    tlsPort6,
    caFile: certFile,
    connections: () => connections,
    requests: () => requests,
    close: async () => {
      await Promise.all(
        servers.map((s) => new Promise<void>((r) => {
          (s as http.Server).closeAllConnections?.();
          s.close(() => r());
        })),
      );
    },
  };
}

/** Every spelling of "this loopback server" the acceptance names; `rebind.test` must be stubbed to 127.0.0.1. */
export function loopbackSpellings(scheme: 'http' | 'https', b: Backends): Array<[string, string]> {
  const p = scheme === 'http' ? b.port : b.tlsPort;
  const p6 = (scheme === 'http' ? b.port6 : b.tlsPort6) ?? p;
  return [
    ['127.0.0.1', `${scheme}://127.0.0.1:${p}/secret`],
    ['localhost', `${scheme}://localhost:${p}/secret`],
    ['[::1]', `${scheme}://[::1]:${p6}/secret`],
    ['[::ffff:127.0.0.1]', `${scheme}://[::ffff:127.0.0.1]:${p}/secret`],
    ['2130706433', `${scheme}://2130706433:${p}/secret`],
    ['0x7f.1', `${scheme}://0x7f.1:${p}/secret`],
    ['rebind.test (DNS stub)', `${scheme}://rebind.test:${p}/secret`],
  ];
}

/** Private and metadata destinations; names are stubbed (never resolved), and nothing may connect to any of them. */
export const DNS_STUB = [
  'rebind.test=127.0.0.1',
  'internal.test=10.0.0.5',
  'lan.test=192.168.1.10',
  'cgnat.test=100.64.0.7',
  'imds.test=169.254.169.254',
  'metadata.google.internal=169.254.169.254',
  'v6meta.test=fd00:ec2::254',
  'ula.test=fd12:3456::1',
].join(',');

export const INTERNAL_URLS: readonly string[] = [
  'http://10.0.0.5/admin',
  'http://192.168.1.10/',
  'http://172.16.0.1/',
  'http://100.64.0.7/',
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://[::ffff:169.254.169.254]/',
  'http://0xa9fea9fe/',
  'http://0251.0376.0251.0376/',
  'http://0.0.0.0:8080/',
  'http://internal.test/',
  'http://lan.test/',
  'http://cgnat.test/',
  'http://imds.test/latest/meta-data/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://v6meta.test/',
  'http://ula.test/',
];
