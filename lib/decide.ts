import type { Action, Mode } from './types';

/**
 * The one place where a mode becomes an action. Everything upstream says
 * only "this violates X under mode M"; everything downstream (report,
 * enforce) acts on the result.
 */
export function actionFor(mode: Mode): Action {
  switch (mode) {
    case 'block':
      return 'block';
    case 'monitor':
    case 'learn':
      return 'report';
    case 'off':
      return 'allow';
  }
}

const STRENGTH: Record<Mode, number> = { off: 0, monitor: 1, learn: 1, block: 2 };

/** The weaker of two modes: an operator can turn enforcement down, never up. */
export function weaker(a: Mode, b: Mode): Mode {
  return STRENGTH[a] <= STRENGTH[b] ? a : b;
}
