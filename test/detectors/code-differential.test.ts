import t from 'tap';
import { detectCodeInjection } from '../../lib/detectors/code';
import type { TaintInput } from '../../lib/types';
import { TEMPLATES, input, trapSandbox } from './corpus/code';

/*
 * The code check against V8 itself, over generated inputs. The check reads
 * sources with its own tokenizer, so wherever it reads one otherwise than V8
 * does (a string, template or comment ending elsewhere, a line terminator,
 * an HTML-like comment), an input can add code unseen. The corpus lists the
 * shapes found so far; this test builds many more from parts (what ends the
 * app's string, template, expression or comment, the code added, what
 * re-opens or ends the rest), splices each into the corpus's templates, and
 * runs the source in a vm context whose `process`, `require`, `fetch` and
 * `f` are traps. A source that touches a trap ran code of the input's: the
 * check must report it.
 */

const BREAK = ['', "'", '"', '`', '${', "\\'", "\\\\'", '})', ')', '1)', ']', '}', '*/', '\n', '\u2028', '\r', "'}", '"]', '`}', '1;', '-->'];
const CODE = [
  '+process.x+', ';process.x;', ',process.x,', "||require('fs')||", '+f()+', '${f()}', "+this.constructor.constructor('return process')().x+",
  '+(f)()+', '+f`x`+', '\u2028f()', ';f();', ' f() ', '+ f ( ) +', '+globalThis.f()+', '+[].at.constructor(\'return process\')().x+',
  '+f\u00a0()+', '+\\u0066()+', ';fetch()//',
  // Whole expressions, for the templates where the input is the expression.
  'f()', 'process.x', '(f())', '1,f()', '1;f()', 'f`x`', '\\u0066()', '[f()]', '{a:f()}.a', 'new f()', 'void f()', '!f()', '-f()',
  'f?.()', 'f.call()', '(0,f)()', 'f\n()',
];
const END = ['', "'", '"', '`', '//', '/*', '<!--', ';', "+'", '+"', '+`', ')', '(', '}', "+'x", '\n', '#', '1', "''", '""', '0)', '//x'];

interface Miss {
  template: string;
  input: string;
}

t.test('every generated input whose code V8 runs is caught', async (t) => {
  // One context for all runs and no watchdog: no part loops or reassigns a global.
  const touches = trapSandbox();
  const misses: Miss[] = [];
  let judged = 0;
  for (const [name, template] of Object.entries(TEMPLATES)) {
    for (const b of BREAK) {
      for (const c of CODE) {
        for (const e of END) {
          const v = b + c + e;
          const source = template.split('§').join(v);
          if (!touches(source)) continue;
          judged++;
          const via = name === 'vm' ? 'vm.runInNewContext' : 'Function';
          const withClasses: TaintInput[] = [input(v)];
          const withoutClasses: TaintInput[] = [{ source: 'query.expr', value: v, decoding: [] }];
          const resource = { source, via };
          if (detectCodeInjection(resource, withClasses) === undefined || detectCodeInjection(resource, withoutClasses) === undefined) {
            misses.push({ template: name, input: v });
          }
        }
      }
    }
  }
  t.comment(`${judged} generated sources ran the input's code and were judged`);
  t.ok(judged > 2000, 'the generator reaches the traps through V8');
  t.same(misses.slice(0, 20).map((m) => `${m.template} ← ${JSON.stringify(m.input)}`), [], `${misses.length} missed`);
});
