import type { Operation } from '../../lib/types';

/** Operation builders for policy tests (the shapes hooks produce). */
export const fsRead = (p: string): Operation => ({ name: 'fs.read', module: 'fs', fn: 'readFileSync', resource: { path: p, rawPath: p } });
export const fsWrite = (p: string): Operation => ({ name: 'fs.write', module: 'fs', fn: 'writeFileSync', resource: { path: p, rawPath: p } });
export const spawn = (file: string, args: string[] = [], extra: { envKeys?: string[]; cwd?: string } = {}): Operation => ({
  name: 'process.spawn', module: 'child_process', fn: 'spawn', resource: { file, args, shell: false, ...extra },
});
export const shell = (command: string, extra: { envKeys?: string[]; cwd?: string } = {}): Operation => ({
  name: 'process.spawn', module: 'child_process', fn: 'exec', resource: { file: '/bin/sh', args: ['-c', command], shell: true, command, ...extra },
});
export const connect = (host: string, port?: number, protocol?: string, address?: string): Operation => ({
  name: 'net.connect', module: 'https', fn: 'request',
  resource: { host, ...(port !== undefined ? { port } : {}), ...(protocol ? { protocol } : {}), ...(address ? { address } : {}) },
});
export const sql = (text: string, extra: { kind?: 'select' | 'delete' | 'dcl'; multiStatement?: boolean } = {}): Operation => ({
  name: 'sql.query', module: 'pg', fn: 'query', resource: { driver: 'pg', dialect: 'postgres', text, ...extra },
});
export const evalOp = (via: string, source = '1+1'): Operation => ({ name: 'code.eval', module: 'vm', fn: via, resource: { source, via } });
