/**
 * Errors are values with a kind. Domain code throws these; the transport
 * adapters (gRPC, Connect, REST, Kafka consumers) map the kind in one place.
 */
export type ErrorKind =
  | 'invalid'
  | 'not_found'
  | 'failed_precondition'
  | 'already_exists'
  | 'unavailable'
  | 'resource_exhausted'
  | 'unauthenticated'
  | 'permission_denied'
  | 'internal';

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export const invalid = (message: string) => new AppError('invalid', message);
export const notFound = (message: string) => new AppError('not_found', message);
export const failedPrecondition = (message: string) => new AppError('failed_precondition', message);
export const alreadyExists = (message: string) => new AppError('already_exists', message);
export const unavailable = (message: string, cause?: unknown) =>
  new AppError('unavailable', message, { cause });
export const permissionDenied = (message: string) => new AppError('permission_denied', message);

/** Too many requests from one caller: try again in retryAfterSec. */
export class RateLimited extends AppError {
  constructor(
    message: string,
    readonly retryAfterSec: number,
  ) {
    super('resource_exhausted', message);
    this.name = 'RateLimited';
  }
}

export function isAppError(err: unknown, kind?: ErrorKind): err is AppError {
  return err instanceof AppError && (kind === undefined || err.kind === kind);
}

/** Worth retrying later: the error says a dependency is down, not that the input is bad. */
export function isTransient(err: unknown): boolean {
  return isAppError(err, 'unavailable');
}
