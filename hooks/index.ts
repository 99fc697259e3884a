import type { HookDefinition } from '../lib/hooking';
import { childProcessHook } from './child_process';
import { functionHook } from './code';
import { vmHook } from './vm';
import { fastifyHook, koaHook } from './frameworks';
import { httpServerHook, httpsServerHook } from './http-server';

/** Every hook Palisade installs, in installation order. */
export const hooks: readonly HookDefinition[] = [
  httpServerHook,
  httpsServerHook,
  childProcessHook,
  functionHook,
  vmHook,
  fastifyHook,
  koaHook,
];
