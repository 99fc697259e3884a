import t from 'tap';
import { detectCodeInjection } from '../../lib/detectors/code';
import { identifierName, tokenize, type TokenKind } from '../../lib/detectors/js-tokenizer';
import { attacks, benign, codeCase, input, trapSandbox } from './corpus/code';

t.test('corpus size', async (t) => {
  t.ok(attacks.length >= 100, `${attacks.length} attacks`);
  t.ok(benign.length >= 100, `${benign.length} benign look-alikes`);
  t.comment(`attacks: ${attacks.length}, benign: ${benign.length}`);
});

t.test('every attack is caught', async (t) => {
  for (const c of attacks) {
    const f = detectCodeInjection(c.resource, c.inputs);
    if (f === undefined) {
      t.fail(`missed: ${c.name}`);
      continue;
    }
    t.equal(f.kind, 'code_injection', c.name);
    t.equal(f.input, c.inputs[c.inputs.length - 1], `${c.name}: names the attacking input`);
    t.equal(f.detail?.['via'], c.resource.via, `${c.name}: detail.via`);
  }
});

t.test('every benign look-alike passes', async (t) => {
  for (const c of benign) {
    const f = detectCodeInjection(c.resource, c.inputs);
    t.equal(f, undefined, f === undefined ? c.name : `${c.name}: false positive (${f.reason})`);
  }
});

t.test('reasons', async (t) => {
  const reason = (tpl: Parameters<typeof codeCase>[0], x: string): string | undefined => {
    const c = codeCase(tpl, x);
    return detectCodeInjection(c.resource, c.inputs)?.reason;
  };
  t.equal(reason('calc', "1;require('child_process')"), "input adds ';'");
  t.equal(reason('calc', 'process.exit()'), "input names 'process'");
  t.equal(reason('calc', 'a.b'), "input accesses property 'b'");
  t.equal(reason('calc', 'f(1)'), "input calls 'f'");
  t.equal(reason('calc', '\\u0065val'), 'input adds a unicode-escaped identifier');
  t.equal(reason('single', "'+process.exit()+'"), "input breaks out of a string literal; names 'process'");
  const f = detectCodeInjection(codeCase('single', "'+process.exit()+'").resource, [input("'+process.exit()+'")]);
  t.equal(f?.detail?.['breakout'], true);
  t.equal(f?.detail?.['token'], 'process');
  t.equal(f?.detail?.['direction'], 'input-in-payload');
});

// Ground truth: evaluate each corpus source in a fresh vm context that has a
// trap for the things attacks reach for. Every source that touches a trap
// must have been reported; benign sources must never touch one.
t.test('agrees with a sandboxed evaluation', async (t) => {
  const touches = trapSandbox({ fresh: true, timeout: 50 });
  for (const c of benign) {
    if (c.name.startsWith('compiled template') || c.name.startsWith('cut')) continue;
    t.notOk(touches(c.resource.source), `benign stays clear of the traps: ${c.name}`);
  }
  let touched = 0;
  for (const c of attacks) {
    // import() needs a loader callback in vm; its rejection would outlive the test.
    if (c.resource.source.includes('import(')) continue;
    if (touches(c.resource.source)) {
      touched++;
      t.ok(detectCodeInjection(c.resource, c.inputs), `touched a trap and was reported: ${c.name}`);
    }
  }
  // Exact, not a floor: an attack that silently stops reaching a trap (a watchdog cut short on a loaded
  // machine, a template change) must fail here rather than leave the ground truth unnoticed.
  t.equal(touched, 70, `${touched} attack sources reached a trap in the sandbox`);
});

t.test('tokenizer', async (t) => {
  const kinds = (src: string): string =>
    tokenize(src)
      .map((tok) => `${tok.kind}:${src.slice(tok.start, tok.end)}`)
      .join(' ');
  t.equal(kinds('return 1+2'), 'keyword:return num:1 punct:+ num:2');
  t.equal(kinds("a = 'x\\'y' + \"z\""), "ident:a punct:= str:'x\\'y' punct:+ str:\"z\"");
  t.equal(kinds('`a${b + `c${d}e`}f`'), 'template:`a${ ident:b punct:+ template:`c${ ident:d template:}e` template:}f`');
  t.equal(kinds('`a${ {x:1}.x }b`'), 'template:`a${ punct:{ ident:x punct:: num:1 punct:} punct:. ident:x template:}b`');
  t.equal(kinds('a / b / c'), 'ident:a punct:/ ident:b punct:/ ident:c');
  t.equal(kinds('x = /a\\/b[/]/g.test(y)'), 'ident:x punct:= regex:/a\\/b[/]/g punct:. ident:test punct:( ident:y punct:)');
  t.equal(kinds('return /re/'), 'keyword:return regex:/re/');
  t.equal(kinds('(a) / 2'), 'punct:( ident:a punct:) punct:/ num:2');
  t.equal(kinds('1 // c\n2 /* d */ 3'), 'num:1 comment:// c num:2 comment:/* d */ num:3');
  t.equal(kinds('0x1F 1e-3 .5 1_000n 1..toString'), 'num:0x1F num:1e-3 num:.5 num:1_000n num:1. punct:. ident:toString');
  t.equal(kinds('a?.b ?? c ? .5 : 1'), 'ident:a punct:?. ident:b punct:?? ident:c punct:? num:.5 punct:: num:1');
  t.equal(kinds('x >>>= 1; y **= 2'), 'ident:x punct:>>>= num:1 punct:; ident:y punct:**= num:2');
  t.equal(kinds('#!/usr/bin/env node\n1'), 'comment:#!/usr/bin/env node num:1');
  t.equal(kinds('1 <!-- c\n--> d\n2'), 'num:1 comment:<!-- c comment:--> d num:2');
  t.equal(kinds('\\u0065val'), 'ident:\\u0065val');
  t.equal(kinds("'unterminated\nnext"), "str:'unterminated ident:next");
  t.equal(kinds('a\u00a0b\u2028c'), 'ident:a ident:b ident:c');
  t.equal(kinds('café #priv'), 'ident:café ident:#priv');
  t.equal(identifierName('\\u0065v\\u{61}l'), 'eval');
  t.equal(identifierName('\\u00zz'), '\\u00zz');
  const stopped = tokenize('a b c d e f', 4);
  t.equal(stopped.length, 3, 'stops after the first token at or beyond stopAt');
});

t.test('tokenizer and detector never throw on random input (fuzz)', async (t) => {
  const parts = ['`', '${', '}', '{', "'", '"', '\\', '/', '*', '//', '/*', '*/', '\n', '\r', ' ', 'a', 'process', '.', '(', ')', '[', ']', '1', '0x', 'e', ';', '=', '<!--', '-->', '#', '\\u', '\u2028', '?.', '…', '\0'];
  let seed = 42;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const valid: TokenKind[] = ['ident', 'keyword', 'punct', 'num', 'str', 'template', 'regex', 'comment', 'invalid'];
  let problems = 0;
  for (let i = 0; i < 5000; i++) {
    let src = '';
    const len = rnd(30);
    for (let j = 0; j < len; j++) src += parts[rnd(parts.length)];
    const tokens = tokenize(src);
    let last = 0;
    for (const tok of tokens) {
      if (!(tok.start >= last && tok.end > tok.start && tok.end <= src.length && valid.includes(tok.kind))) problems++;
      last = tok.end;
    }
    const cut = rnd(src.length + 1);
    const x = src.slice(cut, cut + 1 + rnd(10));
    detectCodeInjection({ source: src, via: 'Function' }, [input(x), input(src + 'tail')]);
  }
  t.equal(problems, 0, '5000 random sources: tokens ordered, non-empty, in bounds; no exception');
});
