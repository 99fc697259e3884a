import { currentScope } from '../lib/context';
import { unwrap, wrap, type HookDefinition } from '../lib/hooking';
import type { FrameworkRefs } from '../lib/context';

/**
 * Frameworks parse bodies and route params onto their own objects. These
 * hooks only remember which object belongs to the current request; the
 * taint layer reads body/params from it at sink time (after parsing).
 * express needs no hook: it decorates the Node request itself.
 */

function remember(name: FrameworkRefs['name'], holder: FrameworkRefs['holder']): void {
  const r = currentScope()?.request;
  if (r !== undefined) r.framework = { name, holder };
}

type FastifyInstance = { addHook(name: string, fn: (req: unknown, reply: unknown, done: () => void) => void): unknown };
type FastifyFactory = ((...a: unknown[]) => FastifyInstance) & Record<string, unknown>;

export const fastifyHook: HookDefinition = {
  module: 'fastify',
  versions: '>=4 <6',
  patch(exports) {
    const orig = exports as FastifyFactory;
    if ((orig as { __palisade?: boolean }).__palisade === true) return orig;
    const factory = function fastify(this: unknown, ...args: unknown[]): FastifyInstance {
      const app = orig.apply(this, args);
      app.addHook('onRequest', (request, _reply, done) => {
        remember('fastify', request as FrameworkRefs['holder']);
        done();
      });
      return app;
    } as FastifyFactory;
    for (const k of Object.keys(orig)) factory[k] = orig[k];
    factory.fastify = factory;
    factory.default = factory;
    Object.defineProperty(factory, '__palisade', { value: true });
    return factory;
  },
};

type KoaApp = { prototype: Record<string, unknown> };

export const koaHook: HookDefinition = {
  module: 'koa',
  versions: '>=2 <4',
  patch(exports) {
    const Koa = ((exports as { default?: KoaApp }).default ?? exports) as KoaApp;
    wrap(Koa.prototype, 'createContext', (orig) => function createContext(this: unknown, ...args: unknown[]) {
      const ctx = orig.apply(this, args);
      remember('koa', ctx as FrameworkRefs['holder']);
      return ctx;
    });
    return exports;
  },
  unpatch(exports) {
    unwrap((((exports as { default?: KoaApp }).default ?? exports) as KoaApp).prototype, 'createContext');
  },
};
