import * as os from 'node:os';

/** Values for `${NAME}` in policy strings. APP_ROOT defaults to the working directory. */
export function defaultVars(vars?: Record<string, string>): Record<string, string> {
  return {
    APP_ROOT: process.cwd(),
    TMPDIR: os.tmpdir(),
    HOME: os.homedir(),
    ...vars,
  };
}

/**
 * Expands `${NAME}` and `${ENV:NAME}`; `$${` writes a literal `${`.
 * Returns the expanded string, or an error message for an unknown variable.
 */
export function expandVars(input: string, vars: Record<string, string>): { value: string } | { error: string; hint: string } {
  if (!input.includes('${')) return { value: input };
  let out = '';
  let i = 0;
  while (i < input.length) {
    if (input.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (input.startsWith('${', i)) {
      const end = input.indexOf('}', i + 2);
      if (end === -1) return { error: `unterminated variable in "${input}"`, hint: 'close it with }' };
      const name = input.slice(i + 2, end);
      let value: string | undefined;
      if (name.startsWith('ENV:')) {
        value = process.env[name.slice(4)];
        if (value === undefined) return { error: `environment variable ${name.slice(4)} is not set`, hint: `set it, or avoid \${${name}}` };
      } else {
        value = Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined;
        if (value === undefined) {
          return { error: `unknown variable \${${name}}`, hint: `known: ${Object.keys(vars).map((k) => `\${${k}}`).join(', ')}, \${ENV:NAME}` };
        }
      }
      out += value;
      i = end + 1;
      continue;
    }
    out += input[i];
    i++;
  }
  return { value: out };
}
