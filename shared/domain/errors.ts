/**
 * One error model for the whole bot. Callers branch on `code` (and `retryable`), never on message text; the edges
 * map codes to HTTP (`statusCode`). Every message is a sentence a person can act on.
 */
export type ErrorCode =
  | 'BAD_CONFIG'
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'CONFLICT'
  | 'DEPENDENCY_DOWN'
  | 'INTERNAL';

const STATUS: Record<ErrorCode, number> = {
  BAD_CONFIG: 500,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CONFLICT: 409,
  DEPENDENCY_DOWN: 503,
  INTERNAL: 500,
};

export interface ErrorOptions {
  cause?: unknown;
  /** Whether trying the same thing again later may succeed (a dependency that is down, a write conflict). */
  retryable?: boolean;
}

export class ReleaseBotError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: ErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReleaseBotError';
    this.retryable = options.retryable ?? false;
  }

  get statusCode(): number {
    return STATUS[this.code];
  }
}

export class BadRequestError extends ReleaseBotError {
  constructor(message: string, options?: ErrorOptions) {
    super('BAD_REQUEST', message, options);
    this.name = 'BadRequestError';
  }
}

export class UnauthenticatedError extends ReleaseBotError {
  constructor(message: string, options?: ErrorOptions) {
    super('UNAUTHENTICATED', message, options);
    this.name = 'UnauthenticatedError';
  }
}

export class ForbiddenError extends ReleaseBotError {
  constructor(message: string, options?: ErrorOptions) {
    super('FORBIDDEN', message, options);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends ReleaseBotError {
  constructor(message: string, options?: ErrorOptions) {
    super('NOT_FOUND', message, options);
    this.name = 'NotFoundError';
  }
}

export class MethodNotAllowedError extends ReleaseBotError {
  constructor(message: string, options?: ErrorOptions) {
    super('METHOD_NOT_ALLOWED', message, options);
    this.name = 'MethodNotAllowedError';
  }
}

export class PayloadTooLargeError extends ReleaseBotError {
  constructor(message: string, options?: ErrorOptions) {
    super('PAYLOAD_TOO_LARGE', message, options);
    this.name = 'PayloadTooLargeError';
  }
}

export class UnsupportedMediaTypeError extends ReleaseBotError {
  constructor(message: string, options?: ErrorOptions) {
    super('UNSUPPORTED_MEDIA_TYPE', message, options);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** A conditional write kept failing: someone else kept changing the same item. Retryable. */
export class ConflictError extends ReleaseBotError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFLICT', message, { retryable: true, ...options });
    this.name = 'ConflictError';
  }
}

/** A dependency (DynamoDB, Slack, Prometheus, the Kubernetes API) failed or did not answer in time. */
export class DependencyError extends ReleaseBotError {
  constructor(
    readonly dependency: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('DEPENDENCY_DOWN', message, { retryable: true, ...options });
    this.name = 'DependencyError';
  }
}

export class ConfigError extends ReleaseBotError {
  constructor(
    readonly file: string,
    readonly problems: string[],
    /** The whole message when it is not a list of problems (a file that is missing or unreadable). */
    headline?: string,
  ) {
    super(
      'BAD_CONFIG',
      headline ?? `${file} is not a valid release-bot configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Any thrown value as a ReleaseBotError: coded errors as they are, anything else as INTERNAL with its cause. */
export function asReleaseBotError(error: unknown): ReleaseBotError {
  if (error instanceof ReleaseBotError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ReleaseBotError('INTERNAL', message, { cause: error });
}

/** Whether the request itself was at fault (4xx): answered with its sentence, not logged as the bot failing. */
export const isClientError = (error: unknown): error is ReleaseBotError =>
  error instanceof ReleaseBotError && error.statusCode >= 400 && error.statusCode < 500;

/**
 * Whether a job that failed with `error` should run again (queue redelivery, outbox backoff) or go to the dead
 * letters at once. Decided by class: a coded error says so itself; anything else is unknown, so it is retried
 * and the queue's attempt limit still bounds it.
 */
export const isRetryable = (error: unknown): boolean => (error instanceof ReleaseBotError ? error.retryable : true);

/** The fields SDK clients (AWS SDK v3 / Smithy, fetch, Node sockets) put on their errors; read, never imported. */
interface ClientFailure {
  name?: string;
  code?: string;
  $retryable?: unknown;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

const RETRYABLE_NAMES = new Set([
  'TimeoutError',
  'AbortError',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * A dependency's failure as a DependencyError, retryable when trying again later may succeed: a timeout, a
 * throttle, a 5xx, a socket that failed. A refusal (validation, access denied, a missing table) is not: the same
 * call fails again until someone changes something. Adapters call it where a client call fails, e.g.
 * `catch (error) { throw dependencyFailure('dynamodb', error) }`.
 */
export function dependencyFailure(dependency: string, error: unknown): DependencyError {
  if (error instanceof DependencyError) return error;
  const failure = (typeof error === 'object' && error !== null ? error : {}) as ClientFailure;
  const cause = (failure.cause ?? {}) as ClientFailure;
  const status = failure.$metadata?.httpStatusCode;
  const timedOut = failure.name === 'TimeoutError' || failure.name === 'AbortError';
  const retryable =
    failure.$retryable !== undefined ||
    failure.$fault === 'server' ||
    RETRYABLE_NAMES.has(failure.name ?? '') ||
    NETWORK_CODES.has(failure.code ?? cause.code ?? '') ||
    (status !== undefined && (status >= 500 || status === 429));
  const detail = error instanceof Error ? error.message : String(error);
  const message = timedOut ? `${dependency} did not answer in time` : `${dependency} failed: ${detail}`;
  return new DependencyError(dependency, message, { cause: error, retryable });
}
