import type { HookDefinition } from '../lib/hooking';
import { childProcessHook } from './child_process';
import { fsHook } from './fs';
import { pathHook } from './path';
import { functionHook } from './code';
import { vmHook } from './vm';
import { fastifyHook, koaHook } from './frameworks';
import { httpServerHook, httpsServerHook } from './http-server';
import { httpClientHook, httpsClientHook } from './http-client';
import { fetchHook } from './fetch';
import { netHook } from './net';
import { undiciHook } from './undici';
import { pgHook } from './pg';
import { mysqlHook } from './mysql';
import { mysql2Hook } from './mysql2';
import { betterSqlite3Hook } from './better-sqlite3';
import { sqlite3Hook } from './sqlite3';

/** Every hook Palisade installs, in installation order. */
export const hooks: readonly HookDefinition[] = [
  httpServerHook,
  httpsServerHook,
  netHook,
  httpClientHook,
  httpsClientHook,
  fetchHook,
  undiciHook,
  childProcessHook,
  fsHook,
  pathHook,
  functionHook,
  vmHook,
  fastifyHook,
  koaHook,
  pgHook,
  mysqlHook,
  mysql2Hook,
  betterSqlite3Hook,
  sqlite3Hook,
];
