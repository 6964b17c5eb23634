import {
  BadRequestError,
  ConflictError,
  DependencyError,
  dependencyFailure,
  ForbiddenError,
  isClientError,
  isRetryable,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  ReleaseBotError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
} from '../../shared/domain/errors';
import { errorResponse } from '../../shared/http/responses';

describe('Coded errors: one mapping to HTTP, retries decided by class', () => {
  it.each([
    [new BadRequestError('b'), 400],
    [new UnauthenticatedError('u'), 401],
    [new ForbiddenError('f'), 403],
    [new NotFoundError('n'), 404],
    [new MethodNotAllowedError('m'), 405],
    [new ConflictError('c'), 409],
    [new PayloadTooLargeError('p'), 413],
    [new UnsupportedMediaTypeError('t'), 415],
    [new DependencyError('dynamodb', 'd'), 503],
  ])('answers %s with %i and its sentence', (error, status) => {
    const res = errorResponse(error);

    expect(res.statusCode).toBe(status);
    expect(res.body).toBe(`${error.message}\n`);
    expect(isClientError(error)).toBe(status < 500);
  });

  it('retries a conflict and a dependency that is down, not bad input, and an unknown failure (bounded by the queue)', () => {
    expect(isRetryable(new ConflictError('raced'))).toBe(true);
    expect(isRetryable(new DependencyError('slack', 'down'))).toBe(true);
    expect(isRetryable(new DependencyError('slack', 'refused', { retryable: false }))).toBe(false);
    expect(isRetryable(new BadRequestError('no'))).toBe(false);
    expect(isRetryable(new ReleaseBotError('INTERNAL', 'bug'))).toBe(false);
    expect(isRetryable(new Error('unknown'))).toBe(true);
  });
});

/** An AWS SDK v3 error as the client throws it (a ServiceException with Smithy's fields). */
const sdkError = (name: string, fields: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: {}, ...fields });

describe('dependencyFailure: a client error as a DependencyError, retryable when trying later may succeed', () => {
  it.each([
    ['a throttle', sdkError('ProvisionedThroughputExceededException', { $retryable: { throttling: true } })],
    ['a server fault', sdkError('InternalServerError', { $fault: 'server' })],
    ['a 503', sdkError('ServiceUnavailable', { $metadata: { httpStatusCode: 503 } })],
    ['a refused connection', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })],
    ['a timeout', Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' })],
  ])('retries %s', (_case, error) => {
    const failure = dependencyFailure('dynamodb', error);

    expect(failure).toBeInstanceOf(DependencyError);
    expect(failure.dependency).toBe('dynamodb');
    expect(failure.retryable).toBe(true);
    expect(failure.cause).toBe(error);
    expect(failure.statusCode).toBe(503);
  });

  it.each([
    ['a validation error', sdkError('ValidationException', { $fault: 'client', $metadata: { httpStatusCode: 400 } })],
    ['access denied', sdkError('AccessDeniedException', { $fault: 'client', $metadata: { httpStatusCode: 400 } })],
    ['a missing table', sdkError('ResourceNotFoundException', { $fault: 'client' })],
  ])('does not retry %s: the same call fails until someone changes something', (_case, error) => {
    expect(dependencyFailure('dynamodb', error).retryable).toBe(false);
  });

  it('says what failed in a sentence, and that a timeout is a timeout', () => {
    expect(dependencyFailure('dynamodb', sdkError('ValidationException')).message).toBe(
      'dynamodb failed: ValidationException happened',
    );
    expect(dependencyFailure('slack', Object.assign(new Error('x'), { name: 'TimeoutError' })).message).toBe(
      'slack did not answer in time',
    );
  });

  it('keeps a DependencyError as it is', () => {
    const error = new DependencyError('prometheus', 'down', { retryable: false });

    expect(dependencyFailure('dynamodb', error)).toBe(error);
  });
});
