import ipaddr from 'ipaddr.js';
import * as net from 'node:net';
import type { NetResource } from '../types';
import type { PathSeg } from './positions';
import { allowVerdict, type CompileCtx, type CompiledRule, type RuleHeader } from './rule';

export interface NetSubject {
  host: string;
  port: number | undefined;
  protocol: string;
  /** The connected IP: resource.address, or the host when it is an IP literal. */
  address: string | undefined;
  /** Parsed address, computed on first CIDR test. */
  ip?: ipaddr.IPv4 | ipaddr.IPv6 | null;
  /** Set when a CIDR rule could not be evaluated for lack of an address. */
  unknownAddress?: boolean;
}

const defaultPorts: Record<string, number> = { http: 80, https: 443, ws: 80, wss: 443, ftp: 21 };

function normProtocol(p: string | undefined): string {
  if (p === undefined) return '';
  const s = p.toLowerCase();
  return s.endsWith(':') ? s.slice(0, -1) : s;
}

function normHost(h: string): string {
  let s = h.toLowerCase();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.endsWith('.')) s = s.slice(0, -1);
  return s;
}

export function netSubject(res: NetResource): NetSubject {
  const host = normHost(res.host);
  const protocol = normProtocol(res.protocol);
  const port = res.port ?? defaultPorts[protocol];
  const address = res.address ?? (net.isIP(host) !== 0 ? host : undefined);
  return { host, port, protocol, address };
}

function parsedIp(s: NetSubject): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (s.ip === undefined) {
    try {
      // process(): IPv4-mapped IPv6 (::ffff:10.0.0.1) is matched as the IPv4 address it is.
      s.ip = s.address !== undefined ? ipaddr.process(s.address) : null;
    } catch {
      s.ip = null;
    }
  }
  return s.ip;
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Dotted-quad IPv4 → uint32, or -1. The common case, parsed without ipaddr.js's general parser. */
export function ipv4ToInt(s: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero: octal in some parsers, never guess
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return n * 256 + part;
}

function v4Mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

export function parseCidr(text: string): Range | undefined {
  try {
    if (text.includes('/')) {
      const [addr, bits] = ipaddr.parseCIDR(text);
      const a = addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
      return [a, a.kind() !== addr.kind() ? bits - 96 : bits];
    }
    const a = ipaddr.process(text);
    return [a, a.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return undefined;
  }
}

function inRange(ip: ipaddr.IPv4 | ipaddr.IPv6, r: Range): boolean {
  if (ip.kind() !== r[0].kind()) return false;
  return ip.kind() === 'ipv4' ? (ip as ipaddr.IPv4).match(r as [ipaddr.IPv4, number]) : (ip as ipaddr.IPv6).match(r as [ipaddr.IPv6, number]);
}

type HostPat = { kind: 'any' } | { kind: 'exact'; host: string } | { kind: 'suffix'; suffix: string };

function hostMatch(p: HostPat, host: string): boolean {
  return p.kind === 'any' || (p.kind === 'exact' ? host === p.host : host.length > p.suffix.length && host.endsWith(p.suffix));
}

type PortPat = [number, number];

interface NetRuleObj {
  host?: string | string[];
  port?: number | string | Array<number | string>;
  protocol?: string | string[];
  cidr?: string | string[];
}

/** "api.x.com", "*.x.com:443", "[::1]:8080", "10.0.0.0/8", "127.0.0.1". */
function shorthand(s: string): NetRuleObj {
  if (s.includes('/')) return { cidr: s };
  if (net.isIP(s) !== 0) return { cidr: s };
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) return { host: s };
  const host = m[1]!;
  const port = m[2] !== undefined ? Number(m[2]) : undefined;
  const base: NetRuleObj = net.isIP(host) !== 0 ? { cidr: host } : { host };
  return port !== undefined ? { ...base, port } : base;
}

export function compileNetRule(raw: unknown, h: RuleHeader, ctx: CompileCtx, at: readonly PathSeg[]): CompiledRule<NetSubject> | undefined {
  let ok = true;
  let obj: NetRuleObj;
  if (typeof raw === 'string') {
    const s = ctx.expand(raw, at);
    if (s === undefined) return undefined;
    obj = shorthand(s);
  } else obj = raw as NetRuleObj;
  const sub = (k: string): readonly PathSeg[] => (typeof raw === 'string' ? at : [...at, k]);

  const hostsS = obj.host !== undefined ? (typeof raw === 'string' ? [obj.host as string] : ctx.list(obj.host, sub('host'))) : undefined;
  const hosts: HostPat[] | undefined = hostsS?.map((hs) => {
    const s = normHost(hs);
    if (s === '*') return { kind: 'any' };
    if (s.startsWith('*.')) return { kind: 'suffix', suffix: s.slice(1) };
    if (s.includes('*')) {
      ctx.problem(sub('host'), `host pattern "${hs}" is not supported`, 'use an exact host, *.domain or *');
      ok = false;
    }
    return { kind: 'exact', host: s };
  });

  const portsRaw = obj.port === undefined ? undefined : Array.isArray(obj.port) ? obj.port : [obj.port];
  const ports: PortPat[] | undefined = portsRaw?.map((p) => {
    if (typeof p === 'number') return [p, p];
    const [lo, hi] = p.split('-').map(Number) as [number, number];
    if (!(lo <= hi && hi <= 65535)) {
      ctx.problem(sub('port'), `invalid port range "${p}"`, 'low-high, both 0..65535');
      ok = false;
    }
    return [lo, hi];
  });

  const protosS = obj.protocol !== undefined ? ctx.list(obj.protocol, sub('protocol')).map(normProtocol) : undefined;
  const protos = protosS !== undefined ? new Set(protosS) : undefined;

  const cidrsS = obj.cidr !== undefined ? (typeof raw === 'string' ? [obj.cidr as string] : ctx.list(obj.cidr, sub('cidr'))) : undefined;
  const cidrs: Range[] | undefined = cidrsS?.map((c) => {
    const r = parseCidr(c);
    if (!r) {
      ctx.problem(sub('cidr'), `invalid CIDR or address "${c}"`, 'e.g. 10.0.0.0/8, 127.0.0.1, ::1/128');
      ok = false;
      return [ipaddr.parse('0.0.0.0'), 32] as Range;
    }
    return r;
  });
  if (!ok) return undefined;

  const parts: string[] = [];
  if (hostsS) parts.push(`host ${hostsS.join(',')}`);
  if (portsRaw) parts.push(`port ${portsRaw.join(',')}`);
  if (protosS) parts.push(`protocol ${protosS.join(',')}`);
  if (cidrsS) parts.push(`cidr ${cidrsS.join(',')}`);
  const label = parts.length ? parts.join(', ') : 'any destination';

  const hostOk = (s: NetSubject): boolean => {
    if (!hosts) return true;
    for (const p of hosts) if (hostMatch(p, s.host)) return true;
    return false;
  };
  const portOk = (s: NetSubject): boolean => {
    if (!ports) return true;
    if (s.port === undefined) return false;
    for (const [lo, hi] of ports) if (s.port >= lo && s.port <= hi) return true;
    return false;
  };
  const protoOk = (s: NetSubject): boolean => !protos || protos.has(s.protocol);
  /** true / false, or undefined when the address is not known yet. */
  // IPv4 ranges as [base, mask] for the plain dotted-quad address.
  const v4 = cidrs?.filter((r) => r[0].kind() === 'ipv4').map((r) => {
    const mask = v4Mask(r[1]);
    return [(ipv4ToInt(r[0].toString()) & mask) >>> 0, mask] as const;
  });
  const cidrOk = (s: NetSubject): boolean | undefined => {
    if (!cidrs) return true;
    if (s.address !== undefined) {
      const n = ipv4ToInt(s.address);
      if (n !== -1) {
        for (const [base, mask] of v4!) if (((n & mask) >>> 0) === base) return true;
        return false;
      }
    }
    const ip = parsedIp(s);
    if (ip === null) return undefined;
    for (const r of cidrs) if (inRange(ip, r)) return true;
    return false;
  };

  return {
    ...h,
    label,
    spec: {
      ...(hostsS ? { hosts: hostsS } : {}),
      ...(portsRaw ? { ports: portsRaw.map(String) } : {}),
      ...(protosS ? { protocols: protosS } : {}),
      ...(cidrsS ? { cidrs: cidrsS } : {}),
    },
    test(s) {
      if (!hostOk(s) || !portOk(s) || !protoOk(s)) return false;
      const c = cidrOk(s);
      if (c === undefined) {
        s.unknownAddress = true;
        return false;
      }
      return c;
    },
    why(s) {
      if (!hostOk(s)) return `host ${s.host} does not match ${hostsS!.join(',')}`;
      if (!portOk(s)) return `port ${s.port ?? '(unknown)'} does not match ${portsRaw!.join(',')}`;
      if (!protoOk(s)) return `protocol ${s.protocol || '(unknown)'} does not match ${protosS!.join(',')}`;
      const c = cidrOk(s);
      if (c === undefined) return `address not known yet (cidr ${cidrsS!.join(',')} needs the resolved IP)`;
      if (!c) return `address ${s.address} is not in ${cidrsS!.join(',')}`;
      return `${s.host}${s.port !== undefined ? ':' + s.port : ''}${s.address && s.address !== s.host ? ` (${s.address})` : ''} matches ${label}`;
    },
    verdict: allowVerdict(h, label),
  };
}
