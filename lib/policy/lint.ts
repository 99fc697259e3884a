import * as path from 'node:path';
import type { OperationName } from '../types';
import { OPERATIONS } from './compile';
import { ENV_RULE_ID } from './phases';
import type { Policy } from './policy';
import type { AnyRule, Scope, Section } from './scope';
import { INTERPRETERS } from './rules-spawn';
import { closest } from './suggest';
import type { SourcePos } from './types';
import { compileArgPattern, matchArgs, type ArgPattern } from './wildcard';

export type Severity = 'error' | 'warning';

export interface LintProblem {
  file: string;
  line: number;
  column: number;
  field: string;
  severity: Severity;
  /** Stable code, e.g. `expired-exception`, `overbroad-path`. */
  code: string;
  message: string;
  hint?: string;
}

const SOON_MS = 14 * 24 * 3600 * 1000;

/**
 * Semantic checks on a policy that loaded: errors are things that cannot be
 * what the author meant (expired exceptions, rules that can never apply,
 * dangling references); warnings are grants wider than they look.
 */
export function lintPolicy(policy: Policy, now: number = Date.now()): LintProblem[] {
  const out: LintProblem[] = [];
  const add = (at: SourcePos, severity: Severity, code: string, message: string, hint?: string): void => {
    out.push({ file: at.file, line: at.line, column: at.column, field: at.field, severity, code, message, ...(hint ? { hint } : {}) });
  };
  const scopes: Scope[] = [policy.global, ...policy.packages, ...policy.routes];

  for (const sc of scopes) {
    for (const op of OPERATIONS) {
      const allow = sc.allow[op];
      const deny = sc.deny[op];
      if (allow) {
        for (const r of allow.rules) overbroad(r, op, add);
        duplicates(allow, add);
      }
      if (deny) duplicates(deny, add);
      if (allow) {
        const denies = [...(deny?.rules ?? []), ...(sc !== policy.global ? (policy.global.deny[op]?.rules ?? []) : [])];
        contradictions(allow.rules, denies, op, add);
      }
    }
  }

  for (const sc of policy.packages) {
    if (sc.transparent !== true) continue;
    const key = sc.name.slice('package:'.length);
    if (sc.specificity < 3) {
      add(sc.at, 'warning', 'transparent-pattern', `packages.${key} makes every package it matches transparent: their calls are attributed to whoever called them, so their own package scopes stop applying`, 'name the packages that only carry out their callers\' requests one by one');
    }
    if (OPERATIONS.some((op) => sc.allow[op] !== undefined || sc.deny[op] !== undefined)) {
      add(sc.at, 'error', 'transparent-with-rules', `packages.${key} is transparent, so no call is attributed to it and its allow and deny rules never apply`, 'remove transparent: true, or move the rules to the scopes of the packages that call it');
    }
  }

  for (const e of policy.exceptions) {
    if (e.expiresAt < now) {
      add(e.at, 'error', 'expired-exception', `exception ${e.id} expired on ${e.expires} and no longer applies`, `renew it with a new date and reason, or delete it; owner: ${e.owner}`);
    } else if (e.expiresAt - now < SOON_MS) {
      add(e.at, 'warning', 'exception-expires-soon', `exception ${e.id} expires on ${e.expires}`, `owner: ${e.owner}`);
    }
    for (const id of e.overrides ?? []) {
      const r = policy.rules.get(id);
      if (id === ENV_RULE_ID) continue;
      if (r === undefined) {
        const denyIds = [...policy.rules.values()].filter((x) => x.effect === 'deny').map((x) => x.id);
        const near = closest(id, denyIds);
        add(e.at, 'error', 'unknown-rule', `exception ${e.id} overrides "${id}", which is not a rule id`, near !== undefined ? `did you mean "${near}"?` : 'give the deny rule an explicit id: and name it here');
      } else if (r.effect !== 'deny') {
        add(e.at, 'error', 'unknown-rule', `exception ${e.id} overrides "${id}", which is an allow rule`, 'exceptions lift deny rules; an exception already counts as an allow');
      } else if (r.op !== e.op) {
        add(e.at, 'error', 'unknown-rule', `exception ${e.id} is about ${e.op} but overrides ${id}, a ${r.op} rule`);
      }
    }
    if (!e.match && !e.matchPackage && !e.route) {
      add(e.at, 'warning', 'broad-exception', `exception ${e.id} applies to every ${e.op} operation`, 'narrow it with match:, package: or route:');
    }
  }
  out.sort((a, b) => a.line - b.line || a.column - b.column);
  return out;
}

type Add = (at: SourcePos, severity: Severity, code: string, message: string, hint?: string) => void;

function overbroad(r: AnyRule, op: OperationName, add: Add): void {
  const s = r.spec;
  if (op === 'fs.read' || op === 'fs.write') {
    for (const p of s.paths ?? []) {
      if (p === '/**' || p === '**' || p === '/' || p === '/*' || p === '**/*') {
        add(r.at, 'warning', 'overbroad-path', `${r.id} grants ${op} on the whole filesystem (${p})`, 'name the directories the app needs, e.g. ${APP_ROOT}/**');
      }
    }
  } else if (op === 'net.connect') {
    if ((s.hosts ?? []).includes('*')) add(r.at, 'warning', 'overbroad-host', `${r.id} allows connections to any host (*)`, 'list the hosts the app talks to');
    for (const c of s.cidrs ?? []) {
      if (/^(0\.0\.0\.0|::)\/0$/.test(c)) add(r.at, 'warning', 'overbroad-cidr', `${r.id} allows every address (${c})`, 'use the ranges the app needs');
    }
    if (!s.hosts && !s.cidrs) add(r.at, 'warning', 'overbroad-host', `${r.id} allows connections to any host (no host or cidr)`, 'add host: or cidr:');
  } else if (op === 'process.spawn') {
    if (s.file === undefined) {
      add(r.at, 'warning', 'overbroad-program', `${r.id} allows any program`, 'name the program with file:');
      return;
    }
    const base = path.basename(s.file).replace(/\.exe$/i, '');
    const flags = INTERPRETERS[base] ?? INTERPRETERS[base.replace(/[0-9.]+$/, '')];
    if (flags === undefined) return;
    const pats = s.args?.map(compileArgPattern).filter((p): p is ArgPattern => !('error' in p));
    const anyArgs = pats === undefined;
    const inline = flags.includes('*')
      ? anyArgs || pats.some((p) => p.kind === 'rest' || p.kind === 'one')
      : anyArgs || flags.some((f) => argsCanContain(pats, f));
    if (inline) {
      const what = flags.includes('*') ? 'run any program or code through it' : `pass code inline (${flags.join(', ')})`;
      add(r.at, 'warning', 'interpreter-inline-code', `${r.id} allows ${s.file} with arguments that ${what}`, 'pin the arguments (e.g. a script path), or the allow list no longer limits what runs');
    }
  }
}

/** Could some argument vector allowed by `pats` contain `flag`? (flag at any position, any other args.) */
function argsCanContain(pats: readonly ArgPattern[], flag: string): boolean {
  for (let i = 0; i < pats.length; i++) {
    const p = pats[i]!;
    if (p.kind === 'rest' || p.kind === 'one') return true;
    if (matchArgs([p], [flag])) return true;
  }
  return false;
}

function key(r: AnyRule): string {
  return JSON.stringify(r.spec);
}

function duplicates(sec: Section, add: Add): void {
  const seen = new Map<string, AnyRule>();
  for (const r of sec.rules) {
    const k = key(r);
    const prev = seen.get(k);
    if (prev) add(r.at, 'warning', 'duplicate-rule', `${r.id} repeats ${prev.id}`, 'delete one of them');
    else seen.set(k, r);
    if (sec.op === 'fs.read' || sec.op === 'fs.write') {
      for (const other of sec.rules) {
        if (other === r) break;
        for (const p of r.spec.paths ?? []) {
          const cover = (other.spec.paths ?? []).find((o) => covers(o, p));
          if (cover !== undefined && k !== key(other)) {
            add(r.at, 'warning', 'shadowed-rule', `${r.id} (${p}) is already covered by ${other.id} (${cover})`, 'the narrower rule never decides anything; delete it or narrow the broader one');
          }
        }
      }
    }
  }
}

/** `/a/**` covers `/a/b` and `/a/b/**`. */
function covers(broad: string, narrow: string): boolean {
  if (broad === narrow || !broad.endsWith('/**')) return false;
  const base = broad.slice(0, -3);
  if (/[*?[\]{}()!]/.test(base)) return false;
  return narrow.startsWith(base + '/') || broad === '/**';
}

function contradictions(allows: readonly AnyRule[], denies: readonly AnyRule[], op: OperationName, add: Add): void {
  for (const a of allows) {
    for (const d of denies) {
      if (key(a) === key(d)) {
        add(a.at, 'error', 'contradictory-rule', `${a.id} allows exactly what ${d.id} denies, so it can never apply`, 'deny wins; remove one of them, or add an exception that overrides the deny rule');
        continue;
      }
      if (op === 'fs.read' || op === 'fs.write') {
        for (const p of a.spec.paths ?? []) {
          const cover = (d.spec.paths ?? []).find((o) => covers(o, p));
          if (cover !== undefined) add(a.at, 'warning', 'shadowed-rule', `${a.id} (${p}) is inside ${d.id} (${cover}), which denies it`, 'deny wins; use an exception to carve out a path');
        }
      }
    }
  }
}
