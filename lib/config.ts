import type { Mode } from './types';

/** Options of `start()`; every field has an environment variable twin. */
export interface StartOptions {
  /** block | monitor | learn | off. Env: PALISADE_MODE. Default monitor. */
  mode?: Mode;
  /** stdout | stderr | a file path. Env: PALISADE_LOG. Default stdout. */
  log?: string;
  /** Policy file (YAML or JSON). Env: PALISADE_POLICY; else ./palisade.yaml when present. */
  policy?: string;
  /** On an internal Palisade error or bad configuration: proceed (false, default) or refuse (true). Env: PALISADE_FAIL=open|closed. */
  failClosed?: boolean;
  /** Trust X-Forwarded-For for the client ip: false (default), true (leftmost), or the number of proxy hops. Env: PALISADE_TRUST_PROXY. */
  trustProxy?: boolean | number;
  /** Bytes of a plain-http request body tapped for taint (never changes what the app reads). Env: PALISADE_MAX_BODY. Default 64 KiB. */
  maxBodyBytes?: number;
  /** Events per second before rate limiting. Env: PALISADE_RATE_LIMIT. Default 50. */
  eventsPerSecond?: number;
  /** Where learn mode writes its draft policy. Env: PALISADE_LEARN_OUT. Default ./palisade.learned.yaml */
  learnOut?: string;
  /** Cloud-metadata access outside a request: 'report' (default) or 'block'. Env: PALISADE_METADATA. */
  metadata?: 'block' | 'report';
}

export interface Config {
  mode: Mode;
  /** Where the mode came from, for the startup line. */
  modeSource: 'default' | 'env' | 'option' | 'policy';
  log: string;
  policy: string | undefined;
  failClosed: boolean;
  trustProxy: boolean | number;
  maxBodyBytes: number;
  eventsPerSecond: number;
  learnOut: string;
  metadata: 'block' | 'report';
}

/** A configuration problem: one line naming the variable and the allowed values. */
export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const MODES: readonly Mode[] = ['block', 'monitor', 'learn', 'off'];

export function isMode(v: unknown): v is Mode {
  return typeof v === 'string' && (MODES as readonly string[]).includes(v);
}

type Env = Record<string, string | undefined>;

/**
 * Merge options over environment over defaults. Invalid values never stop
 * the app (unless fail-closed): they are collected as problems and the
 * safe default is used, so a typo in production degrades to monitor mode
 * with a clear line instead of a crash loop.
 */
export function resolveConfig(options: StartOptions = {}, env: Env = process.env): { config: Config; problems: ConfigError[] } {
  const problems: ConfigError[] = [];

  let failClosed = false;
  if (options.failClosed !== undefined) failClosed = options.failClosed;
  else if (env.PALISADE_FAIL !== undefined && env.PALISADE_FAIL !== '') {
    const v = env.PALISADE_FAIL.trim().toLowerCase();
    if (v === 'closed') failClosed = true;
    else if (v !== 'open') problems.push(new ConfigError('PALISADE_FAIL', `PALISADE_FAIL="${env.PALISADE_FAIL}" is not valid; allowed: open, closed (using open)`));
  }

  let mode: Mode = 'monitor';
  let modeSource: Config['modeSource'] = 'default';
  if (options.mode !== undefined) {
    if (isMode(options.mode)) {
      mode = options.mode;
      modeSource = 'option';
    } else {
      problems.push(new ConfigError('mode', `start({ mode: ${JSON.stringify(options.mode)} }) is not valid; allowed: ${MODES.join(', ')} (using monitor)`));
    }
  } else if (env.PALISADE_MODE !== undefined && env.PALISADE_MODE !== '') {
    const v = env.PALISADE_MODE.trim().toLowerCase();
    if (isMode(v)) {
      mode = v;
      modeSource = 'env';
    } else {
      problems.push(new ConfigError('PALISADE_MODE', `PALISADE_MODE="${env.PALISADE_MODE}" is not valid; allowed: ${MODES.join(', ')} (using monitor)`));
    }
  }

  let log = 'stdout';
  const rawLog = options.log ?? env.PALISADE_LOG;
  if (rawLog !== undefined && rawLog !== '') {
    if (typeof rawLog !== 'string') {
      problems.push(new ConfigError('log', `start({ log }) must be "stdout", "stderr" or a file path (using stdout)`));
    } else log = rawLog;
  }

  let trustProxy: boolean | number = false;
  const rawTrust = options.trustProxy ?? env.PALISADE_TRUST_PROXY;
  if (typeof rawTrust === 'boolean' || typeof rawTrust === 'number') trustProxy = rawTrust;
  else if (typeof rawTrust === 'string' && rawTrust !== '') {
    const v = rawTrust.trim().toLowerCase();
    if (v === 'true') trustProxy = true;
    else if (v === 'false') trustProxy = false;
    else if (/^\d+$/.test(v)) trustProxy = Number(v);
    else problems.push(new ConfigError('PALISADE_TRUST_PROXY', `PALISADE_TRUST_PROXY="${rawTrust}" is not valid; allowed: true, false, or a number of proxy hops (using false)`));
  }

  const maxBodyBytes = positiveInt(options.maxBodyBytes, env.PALISADE_MAX_BODY, 'PALISADE_MAX_BODY', 64 * 1024, problems);
  const eventsPerSecond = positiveInt(options.eventsPerSecond, env.PALISADE_RATE_LIMIT, 'PALISADE_RATE_LIMIT', 50, problems);

  const policy = options.policy ?? (env.PALISADE_POLICY !== '' ? env.PALISADE_POLICY : undefined);
  const learnOut = options.learnOut ?? env.PALISADE_LEARN_OUT ?? 'palisade.learned.yaml';

  let metadata: 'block' | 'report' = 'report';
  const rawMeta = options.metadata ?? env.PALISADE_METADATA;
  if (rawMeta !== undefined && rawMeta !== '') {
    const v = String(rawMeta).trim().toLowerCase();
    if (v === 'block' || v === 'report') metadata = v;
    else problems.push(new ConfigError('PALISADE_METADATA', `PALISADE_METADATA="${String(rawMeta)}" is not valid; allowed: report, block (using report)`));
  }

  return {
    config: { mode, modeSource, log, policy, failClosed, trustProxy, maxBodyBytes, eventsPerSecond, learnOut, metadata },
    problems,
  };
}

function positiveInt(opt: number | undefined, raw: string | undefined, name: string, dflt: number, problems: ConfigError[]): number {
  if (opt !== undefined) {
    if (Number.isInteger(opt) && opt > 0) return opt;
    problems.push(new ConfigError(name, `${name} option ${String(opt)} is not valid; allowed: a positive integer (using ${dflt})`));
    return dflt;
  }
  if (raw === undefined || raw === '') return dflt;
  if (/^\d+$/.test(raw.trim()) && Number(raw) > 0) return Number(raw);
  problems.push(new ConfigError(name, `${name}="${raw}" is not valid; allowed: a positive integer (using ${dflt})`));
  return dflt;
}
