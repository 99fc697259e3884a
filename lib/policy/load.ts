import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileDoc, type PolicyDoc } from './compile';
import { PolicyError, type PolicyProblem } from './errors';
import { Policy } from './policy';
import { noLocator, yamlLocator, type Locator } from './positions';
import { CompileCtx } from './rule';
import { validateSchema } from './schema';
import { defaultVars } from './vars';

/** File names looked up in the working directory when PALISADE_POLICY is not set. */
export const POLICY_FILE_NAMES = ['palisade.yaml', 'palisade.yml', 'palisade.json'] as const;

/** PALISADE_POLICY, else palisade.yaml|yml|json in `cwd`; undefined when there is none. */
export function findPolicyFile(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env.PALISADE_POLICY;
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(cwd, fromEnv);
  for (const n of POLICY_FILE_NAMES) {
    const p = path.join(cwd, n);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

function build(doc: unknown, file: string, loc: Locator, vars: Record<string, string> | undefined): Policy {
  const schemaProblems = validateSchema(doc, file, loc);
  if (schemaProblems.length > 0) throw new PolicyError(schemaProblems);
  const ctx = new CompileCtx(file, loc, defaultVars(vars));
  const parts = compileDoc(doc as PolicyDoc, ctx);
  if (ctx.problems.length > 0) throw new PolicyError(ctx.problems);
  return new Policy(file, parts);
}

/**
 * Parses YAML (or JSON, which is YAML) policy text. Throws PolicyError listing
 * every problem with file:line:column and field.
 */
export function loadPolicyText(text: string, fileName: string, vars?: Record<string, string>): Policy {
  // Loaded here, not at start-up: an agent without a policy file never needs it (~3 MB of RSS).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { LineCounter, parseDocument } = require('yaml') as typeof import('yaml');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems: PolicyProblem[] = doc.errors.map((e) => {
      const at = lineCounter.linePos(Math.min(e.pos[0], text.length));
      const problem = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return { file: fileName, line: at.line, column: at.col, field: '', problem, hint: 'the file is not valid YAML/JSON' };
    });
    throw new PolicyError(problems);
  }
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new PolicyError([{ file: fileName, line: 0, column: 0, field: '', problem: (e as Error).message }]);
  }
  return build(js, fileName, yamlLocator(doc, lineCounter), vars);
}

/** Reads and compiles a policy file (YAML or JSON). */
export function loadPolicyFile(file: string, vars?: Record<string, string>): Policy {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new PolicyError([{ file, line: 0, column: 0, field: '', problem: `cannot read policy: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  return loadPolicyText(text, file, vars);
}

/** Compiles an already-parsed policy object (e.g. built in code); errors have no positions. */
export function compilePolicy(doc: unknown, source: string, vars?: Record<string, string>): Policy {
  return build(doc, source, noLocator, vars);
}
