import type { Test } from 'tap';
import type { Finding, TaintInput } from '../../../lib/types';

/**
 * The corpora build inputs with the character classes extraction sets, so
 * the detectors' skips are judged. Inputs from elsewhere have none, and then
 * every check must run: each case must get the same verdict, from the same
 * input, without them.
 */
export function sameWithoutClasses<R>(
  t: Test,
  cases: ReadonlyArray<{ name: string; resource: R; inputs: readonly TaintInput[] }>,
  detect: (resource: R, inputs: readonly TaintInput[]) => Finding | undefined,
): void {
  let differ = 0;
  for (const c of cases) {
    const bare = c.inputs.map(({ chars: _chars, ...rest }) => rest);
    const a = detect(c.resource, c.inputs);
    const b = detect(c.resource, bare);
    const same = a === undefined ? b === undefined : b !== undefined && a.kind === b.kind && a.reason === b.reason && c.inputs.indexOf(a.input) === bare.indexOf(b.input);
    if (!same && differ++ < 5) t.fail(`${c.name}: with classes ${a?.reason ?? 'no finding'}, without ${b?.reason ?? 'no finding'}`);
  }
  t.equal(differ, 0, `${cases.length} cases, the same verdicts without character classes`);
}
