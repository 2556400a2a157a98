import { status, type ServiceError } from '@grpc/grpc-js';
import { AppError, RateLimited, type ErrorKind } from '@order-system/errors';
import type { Logger } from '@order-system/logger';

/** The one mapping between error kinds and gRPC (and Connect: same numbers) codes. */
const codeOfKind: Record<ErrorKind, status> = {
  invalid: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  failed_precondition: status.FAILED_PRECONDITION,
  already_exists: status.ALREADY_EXISTS,
  unavailable: status.UNAVAILABLE,
  resource_exhausted: status.RESOURCE_EXHAUSTED,
  unauthenticated: status.UNAUTHENTICATED,
  permission_denied: status.PERMISSION_DENIED,
  internal: status.INTERNAL,
};

const kindOfCode = new Map<status, ErrorKind>([
  ...Object.entries(codeOfKind).map(([kind, code]) => [code, kind as ErrorKind] as const),
  [status.DEADLINE_EXCEEDED, 'unavailable'],
  [status.CANCELLED, 'unavailable'],
]);

export interface WireError {
  code: status;
  message: string;
  /** The error is ours to fix, not the caller's: log it. */
  internal: boolean;
  /** When to try again (a rate limit's refusal). */
  retryAfterSec?: number;
}

/** An error thrown by a handler, as the caller should see it. Unknown errors hide their details. */
export function toWireError(err: unknown): WireError {
  if (err instanceof RateLimited) return { code: status.RESOURCE_EXHAUSTED, message: err.message, internal: false, retryAfterSec: err.retryAfterSec };
  if (err instanceof AppError) {
    return { code: codeOfKind[err.kind], message: err.message, internal: err.kind === 'internal' };
  }
  return { code: status.INTERNAL, message: 'internal error', internal: true };
}

/**
 * toWireError for a reply to a client: an internal error, whose message the
 * client does not get, is logged here with `fields` (the RPC, the order).
 */
export function toLoggedWireError(err: unknown, log: Logger, fields: Record<string, unknown>, msg = 'rpc failed'): WireError {
  const wire = toWireError(err);
  if (wire.internal) log.error({ err, ...fields }, msg);
  return wire;
}

/** A failed call to another service, as an AppError of the same kind. */
export function fromServiceError(err: ServiceError, target: string): AppError {
  return fromStatus({ code: err.code, message: err.details }, target, err);
}

/** A status another service sent in a message (one item of a batch), as the AppError a call failing with it gives. */
export function fromStatus({ code, message }: { code: number; message: string }, target: string, cause?: unknown): AppError {
  const kind = kindOfCode.get(code) ?? 'internal';
  return new AppError(kind, kind === 'unavailable' ? `${target} is unavailable: ${message}` : message, { cause });
}

/** The call failed because the server does not serve its method (an older version of the service). */
export function isUnimplemented(err: unknown): boolean {
  const cause = err instanceof AppError ? err.cause : undefined;
  return typeof cause === 'object' && cause !== null && (cause as Partial<ServiceError>).code === status.UNIMPLEMENTED;
}
