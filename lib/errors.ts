import type { AttackKind, OperationName } from './types';

/**
 * What the app sees when Palisade blocks a call. `code` and `statusCode`
 * follow the fastify convention so error handlers can branch on them, and
 * express/fastify/koa answer 403 on their own.
 */
export class PalisadeBlockedError extends Error {
  readonly code = 'ERR_PALISADE_BLOCKED';
  readonly statusCode = 403;
  /** http-errors convention (koa, express's finalhandler read `status`/`expose`). */
  readonly status = 403;
  readonly expose = false;
  readonly kind: AttackKind | 'policy_violation';
  readonly operation: OperationName;
  readonly eventId: string;

  constructor(kind: AttackKind | 'policy_violation', operation: OperationName, eventId: string, reason: string) {
    super(`Palisade blocked ${operation}: ${kind.replace(/_/g, ' ')} (${reason}) [event ${eventId}]`);
    this.name = 'PalisadeBlockedError';
    this.kind = kind;
    this.operation = operation;
    this.eventId = eventId;
  }
}

export function isPalisadeBlockedError(err: unknown): err is PalisadeBlockedError {
  return err instanceof PalisadeBlockedError ||
    (typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ERR_PALISADE_BLOCKED');
}
