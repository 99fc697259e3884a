import * as fs from 'node:fs';
import * as path from 'node:path';

/** Palisade's own version, read from its package.json (works from lib/ in tests and dist/lib/ in production). */
function readVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'palisade' && typeof pkg.version === 'string') return pkg.version;
    }
    dir = path.dirname(dir);
  }
  return '0.0.0';
}

export const VERSION = readVersion();
