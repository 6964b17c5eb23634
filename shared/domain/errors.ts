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
  ) {
    super(
      'BAD_CONFIG',
      `${file} is not a valid release-bot configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
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
