/** Stable codes: callers branch on these, never on message text. */
export type ErrorCode =
  | 'BAD_CONFIG'
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'CONFLICT';

const STATUS: Record<ErrorCode, number> = {
  BAD_CONFIG: 500,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CONFLICT: 409,
};

export class ReleaseBotError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ReleaseBotError';
  }

  get statusCode(): number {
    return STATUS[this.code];
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
