import ipaddr = require('ipaddr.js');

/**
 * Address classification for SSRF and policy. Range membership comes from
 * ipaddr.js; this file only maps its range names onto the classes Palisade
 * reasons about, unwraps IPv6 forms that carry an IPv4 address, and knows the
 * cloud metadata endpoints (which sit inside ranges ipaddr.js calls public or
 * link-local, so they need their own list).
 */

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private' // RFC 1918 and the deprecated IPv6 site-local fec0::/10
  | 'link-local'
  | 'metadata'
  | 'unspecified'
  | 'cgnat' // 100.64.0.0/10
  | 'ula' // fc00::/7
  | 'multicast'
  | 'broadcast'
  | 'reserved' // documentation, benchmarking, 240/4 and other non-routable blocks
  | 'invalid';

/** Classes an input-chosen destination must not reach (what SSRF reports). */
export const INTERNAL_CLASSES: ReadonlySet<AddressClass> = new Set<AddressClass>([
  'loopback',
  'private',
  'link-local',
  'metadata',
  'unspecified',
  'cgnat',
  'ula',
]);

/**
 * Cloud metadata and platform endpoints, by normalised address. Some are
 * inside link-local (already internal), others look public (Azure, Alibaba),
 * which is why classification checks this list before the ranges.
 */
const METADATA_ADDRESSES: ReadonlyMap<string, string> = new Map([
  ['169.254.169.254', 'instance metadata (AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle, Hetzner)'],
  ['169.254.170.2', 'AWS ECS task metadata and credentials'],
  ['169.254.170.23', 'AWS EKS pod identity agent'],
  ['169.254.0.23', 'Tencent Cloud metadata'],
  ['100.100.100.200', 'Alibaba Cloud metadata'],
  // The Azure WireServer: a public-looking virtual IP reachable only inside
  // Azure that serves the VM's platform configuration. Apps never need it.
  ['168.63.129.16', 'Azure WireServer'],
  ['192.0.0.192', 'Oracle Cloud legacy metadata'],
  ['fd00:ec2::254', 'AWS instance metadata (IPv6)'],
  ['fd00:ec2::23', 'AWS EKS pod identity agent (IPv6)'],
]);

/** Host names that reach a metadata service through DNS or search domains. */
const METADATA_HOSTS: ReadonlySet<string> = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.tencentyun.com',
  'metadata.platformequinix.com',
]);

const IPV4_RANGE: Readonly<Record<string, AddressClass>> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'cgnat',
  private: 'private',
  reserved: 'reserved',
  benchmarking: 'reserved',
};

const IPV6_RANGE: Readonly<Record<string, AddressClass>> = {
  unspecified: 'unspecified',
  linkLocal: 'link-local',
  multicast: 'multicast',
  loopback: 'loopback',
  uniqueLocal: 'ula',
  deprecatedSiteLocal: 'private',
  discard: 'reserved',
  benchmarking: 'reserved',
  deprecatedOrchid: 'reserved',
  orchid2: 'reserved',
  segmentRouting: 'reserved',
  reserved: 'reserved',
};

export interface AddressInfo {
  class: AddressClass;
  /** Canonical spelling: dotted IPv4, or compressed IPv6 without brackets. Empty when invalid. */
  address: string;
  /** When an IPv6 address carries an IPv4 one, how, and which (the class is the IPv4's). */
  embedded?: { form: 'ipv4-mapped' | 'ipv4-compatible' | 'ipv4-translated' | 'nat64' | '6to4'; ipv4: string };
  /** Which metadata service, when class is 'metadata'. */
  service?: string;
}

const INVALID: AddressInfo = Object.freeze({ class: 'invalid', address: '' });

/**
 * Turn any host spelling that a URL parser or `getaddrinfo` would read as an
 * IP literal into its canonical form: `2130706433`, `0x7f.1`, `0177.0.0.1`,
 * `127.1`, `127.0.0.1.`, full-width digits → `127.0.0.1`; `[::ffff:127.0.0.1]`
 * → `::ffff:7f00:1`. Returns undefined for names and garbage. The WHATWG URL
 * parser does the IPv4 number parsing; it is what fetch/undici use and it
 * agrees with inet_aton on these forms.
 */
export function parseHostSpelling(host: string): string | undefined {
  if (host.length === 0 || host.length > 255) return undefined;
  if (isDottedQuad(host)) return host;
  let inner = host;
  if (host.charCodeAt(0) === 0x5b /* [ */ && host.charCodeAt(host.length - 1) === 0x5d /* ] */) {
    inner = host.slice(1, -1);
  }
  if (inner.includes(':')) {
    // IPv6 zone ids (fe80::1%eth0) are not URL syntax; they do not change the class.
    const pct = inner.indexOf('%');
    let bare = pct === -1 ? inner : inner.slice(0, pct);
    // ipaddr.js reads '::1.2.3.4' as IPv4-mapped; the URL parser and the OS
    // read it as IPv4-compatible (::102:304). Canonicalise dotted tails the OS way.
    if (bare.includes('.')) {
      try {
        bare = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
      } catch {
        return undefined;
      }
    }
    return ipaddr.IPv6.isValid(bare) ? ipaddr.IPv6.parse(bare).toString() : undefined;
  }
  if (inner !== host) return undefined;
  // Characters that would make the URL parser read something other than a host.
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c <= 0x20 || c === 0x2f || c === 0x5c || c === 0x3f || c === 0x23 || c === 0x40) return undefined;
  }
  let hostname: string;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    return undefined;
  }
  return isDottedQuad(hostname) ? hostname : undefined;
}

/**
 * Octets of a canonical dotted-decimal address (no leading zeros, each part
 * ≤ 255) — the form resolvers return — or undefined. Building the ipaddr.js
 * object from octets skips its regex-based parser on the hot path.
 */
function dottedQuad(s: string): number[] | undefined {
  const octets: number[] = [];
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || value > 255 || octets.length === 4) return undefined;
      octets.push(value);
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) return undefined;
      value = value * 10 + (c - 48);
      digits++;
      if (digits > 3) return undefined;
    } else return undefined;
  }
  return octets.length === 4 ? octets : undefined;
}

function isDottedQuad(s: string): boolean {
  return dottedQuad(s) !== undefined;
}

function classifyV4(v4: ipaddr.IPv4): { cls: AddressClass; address: string; service?: string } {
  const address = v4.toString();
  const service = METADATA_ADDRESSES.get(address);
  if (service !== undefined) return { cls: 'metadata', address, service };
  return { cls: IPV4_RANGE[v4.range()] ?? 'public', address };
}

/** The IPv4 address an IPv6 address carries, for the forms that route to it. */
function embeddedV4(v6: ipaddr.IPv6): { form: NonNullable<AddressInfo['embedded']>['form']; v4: ipaddr.IPv4 } | undefined {
  const p = v6.parts;
  const low = (): ipaddr.IPv4 => new ipaddr.IPv4([p[6] >> 8, p[6] & 0xff, p[7] >> 8, p[7] & 0xff]);
  const range = v6.range();
  if (range === 'ipv4Mapped') return { form: 'ipv4-mapped', v4: low() };
  if (range === 'rfc6145') return { form: 'ipv4-translated', v4: low() };
  if (range === 'rfc6052' && p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0) return { form: 'nat64', v4: low() };
  if (range === '6to4') return { form: '6to4', v4: new ipaddr.IPv4([p[1] >> 8, p[1] & 0xff, p[2] >> 8, p[2] & 0xff]) };
  // ::a.b.c.d (deprecated IPv4-compatible): ::/96 minus :: and ::1.
  if (p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0 && (p[6] !== 0 || p[7] > 1)) {
    return { form: 'ipv4-compatible', v4: low() };
  }
  return undefined;
}

/**
 * Answers by spelling: an app talks to a handful of hosts, and each outgoing
 * call asks about its host again (parsing it and ipaddr.js's range tables
 * cost more than the lookup). Bounded, since hosts can come from requests.
 */
const inspected = new Map<string, AddressInfo>();
const INSPECTED_MAX = 512;

/** Classify an address or IP-literal host in any spelling `parseHostSpelling` accepts. The result is shared: frozen. */
export function inspectAddress(addr: string): AddressInfo {
  let info = inspected.get(addr);
  if (info !== undefined) return info;
  info = inspectUncached(addr);
  if (info.embedded !== undefined) Object.freeze(info.embedded);
  Object.freeze(info);
  if (addr.length <= 255) {
    if (inspected.size >= INSPECTED_MAX) inspected.clear();
    inspected.set(addr, info);
  }
  return info;
}

function inspectUncached(addr: string): AddressInfo {
  const literal = parseHostSpelling(addr);
  if (literal === undefined) return INVALID;
  if (!literal.includes(':')) {
    const r = classifyV4(new ipaddr.IPv4(dottedQuad(literal) ?? [0, 0, 0, 0]));
    return r.service === undefined ? { class: r.cls, address: r.address } : { class: r.cls, address: r.address, service: r.service };
  }
  const v6 = ipaddr.IPv6.parse(literal);
  const address = v6.toString();
  const service = METADATA_ADDRESSES.get(address);
  if (service !== undefined) return { class: 'metadata', address, service };
  const emb = embeddedV4(v6);
  if (emb !== undefined) {
    const r = classifyV4(emb.v4);
    const info: AddressInfo = { class: r.cls, address, embedded: { form: emb.form, ipv4: r.address } };
    if (r.service !== undefined) info.service = r.service;
    return info;
  }
  return { class: IPV6_RANGE[v6.range()] ?? 'public', address };
}

export function classifyAddress(addr: string): AddressClass {
  return inspectAddress(addr).class;
}

function normaliseName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** True for host names of cloud metadata services (`metadata.google.internal`, `instance-data`, …). */
export function isMetadataHost(name: string): boolean {
  return METADATA_HOSTS.has(normaliseName(name));
}

/** `localhost` and `*.localhost` resolve to loopback (RFC 6761; Node and browsers honour it). */
export function isLocalhostName(name: string): boolean {
  const n = normaliseName(name);
  return n === 'localhost' || n.endsWith('.localhost');
}

/**
 * Classify a host that may be a name: IP spellings by address, metadata and
 * localhost names by name, and other names as undefined (only DNS can tell).
 */
export function classifyHost(host: string): AddressInfo | undefined {
  const info = inspectAddress(host);
  if (info.class !== 'invalid') return info;
  if (isMetadataHost(host)) return { class: 'metadata', address: '', service: 'metadata host name' };
  if (isLocalhostName(host)) return { class: 'loopback', address: '' };
  return undefined;
}
